"""Comments on the customer card (seed 000, «Комментарии»: «Написать комментарий»).

A comment is internal: operators read it on the card, the customer never sees it. The use case
checks (staff, the customer exists, the text is storable), does (one insert), writes the audit
log in the same transaction, and notifies after the commit (a ``customer:{id}`` live event, so
that another console with the same card open shows the comment).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.store.models import Customer, CustomerComment, utcnow

from . import audit
from .chat.events import Publisher, no_publisher
from .errors import (
    CommentEmpty,
    CommentTooLong,
    CustomerNotFound,
    InvalidComment,
    InvalidCommentCharacter,
    InvalidCommentCharacters,
)
from .principals import Principal

__all__ = ["MAX_COMMENT", "CommentCreated", "add_comment", "customer_channel"]

MAX_COMMENT = 2_000
COMMENT_ROLES = (Role.OPERATOR, Role.BACKOFFICE, Role.SUPERVISOR)


class CommentCreated(BaseModel):
    id: int
    customer_id: int
    text: str
    author: str | None
    created_at: datetime


def customer_channel(customer_id: int) -> str:
    return f"customer:{customer_id}"


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidComment()
    cleaned = text.strip()
    if not cleaned:
        raise CommentEmpty(fields=["text"])
    if len(cleaned) > MAX_COMMENT:
        raise CommentTooLong(limit=MAX_COMMENT, fields=["text"])
    if "\x00" in cleaned:
        raise InvalidCommentCharacter()
    try:
        cleaned.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidCommentCharacters() from None
    return cleaned


# built once; the id alone (the whole customer's row was loaded only to be dropped)
_CUSTOMER_EXISTS = select(Customer.id).where(
    Customer.id == bindparam("customer_id", type_=Customer.id.type)
)


async def add_comment(
    session: AsyncSession,
    actor: Principal,
    customer_id: int,
    text: str,
    *,
    publish: Publisher = no_publisher,
) -> CommentCreated:
    """Add a comment to the customer's card (any staff role but a bare admin account may)."""
    actor.require_operator(*COMMENT_ROLES)
    cleaned = _clean(text)
    if await session.scalar(_CUSTOMER_EXISTS, {"customer_id": customer_id}) is None:
        raise CustomerNotFound(customer_id=customer_id)
    comment = CustomerComment(
        customer_id=customer_id,
        author_id=int(actor.id),
        text=cleaned,
        created_at=utcnow(),
    )
    session.add(comment)
    await session.flush()
    audit.record(
        session,
        actor,
        "customer.comment_added",
        entity_kind="customer",
        entity_id=customer_id,
        comment_id=comment.id,
    )
    await session.commit()
    created = CommentCreated(
        id=comment.id,
        customer_id=customer_id,
        text=comment.text,
        author=actor.name or None,
        created_at=comment.created_at,
    )
    await publish(
        [customer_channel(customer_id)],
        {
            "type": "customer_comment",
            "customer_id": customer_id,
            "comment": created.model_dump(mode="json"),
        },
    )
    return created
