"""The messages hub (issue 14, item 1; seed 001, «Ozon Chat»): every dialogue of a person with
its unread count — the customer's, in the tabs «Поддержка» and «Продавцы», and the seller's
«Покупатели». What is unread is what the other side wrote after the reader's mark
(``conversations.customer_read_seq`` / ``seller_read_seq``), notes and one's own messages aside.
A logged-in customer's dialogues are found by their account, so every device shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.lines import LINE_TITLES_RU, Line
from marketdesk.store.models import Conversation, Customer, Message, Seller

from . import chat_access as access
from .chat.checks import load
from .errors import HubCustomerOnly, SellerOnly
from .principals import Principal

__all__ = [
    "HUB_LIMIT",
    "CustomerHub",
    "HubDialogue",
    "ReadMark",
    "SellerHub",
    "customer_hub",
    "mark_read",
    "seller_hub",
]

HUB_LIMIT = 200
"""The most recent dialogues a hub lists."""

_CUSTOMER_SIDE = ("customer", "visitor")
# what a customer reads as an answer (system notes are not counted: the customer's own
# actions make most of them)
_ANSWERS = ("bot", "operator")


class HubDialogue(BaseModel):
    id: int
    tab: Literal["support", "sellers", "buyers"]
    title: str
    line: str
    status: str
    seller_id: int | None
    seller_name: str | None
    customer_name: str | None
    product_id: int | None
    order_number: str | None
    last_text: str | None
    last_at: datetime | None
    unread: int


class CustomerHub(BaseModel):
    support: list[HubDialogue]
    sellers: list[HubDialogue]
    unread_support: int
    unread_sellers: int


class SellerHub(BaseModel):
    buyers: list[HubDialogue]
    unread: int


class ReadMark(BaseModel):
    id: int
    read_seq: int


async def _last_messages(session: AsyncSession, ids: list[int]) -> dict[int, Any]:
    """Each conversation's last message a customer may see (no notes)."""
    if not ids:
        return {}
    last = (
        select(Message.conversation_id, func.max(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(ids), Message.private.is_(False))
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = await session.execute(
        select(Message.conversation_id, Message.text, Message.created_at).join(
            last, and_(Message.conversation_id == last.c.conversation_id, Message.seq == last.c.seq)
        )
    )
    return {row.conversation_id: row for row in rows}


async def _unread(session: AsyncSession, ids: list[int], *, for_seller: bool) -> dict[int, int]:
    """Messages of the other side after the reader's mark, by conversation."""
    if not ids:
        return {}
    mark = Conversation.seller_read_seq if for_seller else Conversation.customer_read_seq
    other = (
        Message.sender_kind.in_(_CUSTOMER_SIDE) if for_seller else Message.sender_kind.in_(_ANSWERS)
    )
    rows = await session.execute(
        select(Message.conversation_id, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.conversation_id.in_(ids),
            Message.private.is_(False),
            Message.seq > mark,
            other,
        )
        .group_by(Message.conversation_id)
    )
    return {int(cid): int(n) for cid, n in rows.all()}


def _dialogue(row: Any, tab: str, last: Any, unread: int) -> HubDialogue:
    extra = row.Conversation.extra or {}
    seller_name = row.seller_name
    if tab == "buyers":
        title = row.customer_name or "Покупатель"
    elif row.Conversation.line == Line.SELLER_CHAT and seller_name:
        title = seller_name
    else:
        title = LINE_TITLES_RU[Line(row.Conversation.line)]
    return HubDialogue(
        id=row.Conversation.id,
        tab=tab,  # type: ignore[arg-type]
        title=title,
        line=row.Conversation.line,
        status=row.Conversation.status,
        seller_id=row.Conversation.seller_id,
        seller_name=seller_name,
        customer_name=row.customer_name if tab == "buyers" else None,
        product_id=extra.get("product_id"),
        order_number=extra.get("order_number"),
        last_text=None if last is None else last.text,
        last_at=None if last is None else last.created_at,
        unread=unread,
    )


async def _dialogues(session: AsyncSession, where: Any, *, for_seller: bool) -> list[Any]:
    rows = (
        await session.execute(
            select(
                Conversation,
                Seller.name.label("seller_name"),
                Customer.full_name.label("customer_name"),
            )
            .outerjoin(Seller, Seller.id == Conversation.seller_id)
            .outerjoin(Customer, Customer.id == Conversation.customer_id)
            .where(where)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(HUB_LIMIT)
        )
    ).all()
    return list(rows)


async def customer_hub(session: AsyncSession, principal: Principal) -> CustomerHub:
    """A logged-in customer's dialogues: support (every line but the seller chat) and
    sellers, newest first, each with its unread count."""
    if principal.kind != "customer":
        raise HubCustomerOnly()
    rows = await _dialogues(
        session, Conversation.customer_id == int(principal.id), for_seller=False
    )
    ids = [row.Conversation.id for row in rows]
    last, unread = await _last_messages(session, ids), await _unread(session, ids, for_seller=False)
    support: list[HubDialogue] = []
    sellers: list[HubDialogue] = []
    for row in rows:
        is_seller = row.Conversation.line == Line.SELLER_CHAT
        item = _dialogue(
            row,
            "sellers" if is_seller else "support",
            last.get(row.Conversation.id),
            unread.get(row.Conversation.id, 0),
        )
        (sellers if is_seller else support).append(item)
    return CustomerHub(
        support=support,
        sellers=sellers,
        unread_support=sum(d.unread for d in support),
        unread_sellers=sum(d.unread for d in sellers),
    )


async def seller_hub(session: AsyncSession, principal: Principal) -> SellerHub:
    """«Покупатели»: the dialogues of the sellers the caller's account answers for (their
    buyers' only), newest first, with the buyers' unread messages."""
    seller_ids = await _seller_ids(session, principal)
    rows = await _dialogues(session, Conversation.seller_id.in_(seller_ids), for_seller=True)
    ids = [row.Conversation.id for row in rows]
    last, unread = await _last_messages(session, ids), await _unread(session, ids, for_seller=True)
    buyers = [
        _dialogue(row, "buyers", last.get(row.Conversation.id), unread.get(row.Conversation.id, 0))
        for row in rows
    ]
    return SellerHub(buyers=buyers, unread=sum(d.unread for d in buyers))


async def _seller_ids(session: AsyncSession, principal: Principal) -> list[int]:
    if not principal.is_operator:
        raise SellerOnly()
    ids = await access.seller_ids(session, int(principal.id))
    if not ids:
        raise SellerOnly()
    return ids


async def mark_read(
    session: AsyncSession, principal: Principal, conversation_id: int, seq: int
) -> ReadMark:
    """The reader has seen the conversation up to ``seq`` (at most its last message; a mark
    never goes back): the customer in their hub, or the seller's account in «Покупатели»."""
    conversation = await load(session, principal, conversation_id)
    if principal.kind == "customer":
        column = Conversation.customer_read_seq
    elif principal.is_operator and (
        conversation.seller_id is not None
        and await access.represents(session, int(principal.id), conversation.seller_id)
    ):
        column = Conversation.seller_read_seq
    else:
        raise HubCustomerOnly() if not principal.is_operator else SellerOnly()
    target = max(0, min(seq, conversation.last_seq))
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, column < target)
        .values({column: target})
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    read = await session.scalar(select(column).where(Conversation.id == conversation_id))
    return ReadMark(id=conversation_id, read_seq=int(read or 0))
