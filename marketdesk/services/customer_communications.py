"""The card's «Коммуникации»: a customer's conversations across lines and channels.

Staff see every conversation of the customer in the list (its line, channel, status, dates,
how many entries the transcript has), so that a contact through e-mail or another line is
not missed; ``readable`` says whether the caller may open it (``services.chat_access``: a
conversation of a line the operator does not serve stays closed to them, and nothing of its
text is listed). The notifications sent to the customer are the delivery log
(``GET /api/v1/customers/{id}/notifications``, ``services.notifications``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.domain.lines import Line
from marketdesk.store.models import Conversation, Customer

from . import chat_access
from .chat.views import STATUS_TITLES_RU
from .customers import Coded
from .errors import CustomerNotFound
from .principals import Principal

__all__ = ["CustomerConversation", "CustomerConversations", "customer_conversations"]

MAX_PAGE = 100


class CustomerConversation(BaseModel):
    id: int
    line: Coded
    channel: Coded
    status: Coded
    topic: str | None
    ticket_number: str | None
    entries: int
    """The transcript's length (messages and notes, ``last_seq``)."""
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    rating: int | None
    readable: bool
    """The caller may open it (the lines rule); otherwise only this row is shown."""


class CustomerConversations(BaseModel):
    customer_id: int
    total: int
    conversations: list[CustomerConversation]


def _coded(code: str, titles: dict[str, str]) -> Coded:
    return Coded(code=code, title=titles.get(code, code))


_LINE_TITLES = {line.value: line.title_ru for line in Line}
_CHANNEL_TITLES = {channel.value: channel.title_ru for channel in Channel}
_STATUS_TITLES = {str(status.value): title for status, title in STATUS_TITLES_RU.items()}


async def customer_conversations(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    *,
    limit: int = 50,
    offset: int = 0,
) -> CustomerConversations:
    """The customer's conversations, newest first, over ``ix_conversations_customer``."""
    principal.require_operator()
    if await session.get(Customer, customer_id) is None:
        raise CustomerNotFound(customer_id=customer_id)
    where = Conversation.customer_id == customer_id
    total = int(await session.scalar(select(func.count(Conversation.id)).where(where)) or 0)
    rows = list(
        await session.scalars(
            select(Conversation)
            .where(where)
            .order_by(Conversation.id.desc())
            .limit(max(1, min(limit, MAX_PAGE)))
            .offset(max(0, offset))
        )
    )
    lines = None if chat_access.is_supervisor(principal) else await _lines(session, principal)
    views = [
        CustomerConversation(
            id=c.id,
            line=_coded(c.line, _LINE_TITLES),
            channel=_coded(c.channel, _CHANNEL_TITLES),
            status=_coded(c.status, _STATUS_TITLES),
            topic=c.topic,
            ticket_number=c.ticket_number,
            entries=c.last_seq,
            created_at=c.created_at,
            updated_at=c.updated_at,
            closed_at=c.closed_at,
            rating=c.rating,
            readable=await chat_access.may_read(session, principal, c, lines=lines),
        )
        for c in rows
    ]
    return CustomerConversations(customer_id=customer_id, total=total, conversations=views)


async def _lines(session: AsyncSession, principal: Principal) -> frozenset[str]:
    return await chat_access.operator_lines(session, principal.id)
