"""``marketdesk export customer ID``: one customer's data as JSON (a data-subject request):
the card's fields, orders with items and history, balance entries, certificates (never a
code), conversations with their public messages, channel contacts and the notifications
log. Staff's private notes and comments are internal and not included."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import (
    BalanceEntry,
    ChannelContact,
    Conversation,
    Customer,
    CustomerTombstone,
    GiftCertificate,
    Message,
    Notification,
    Order,
    OrderItem,
    OrderStatusEvent,
)

from ..errors import CustomerNotFound

__all__ = ["export_customer"]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


async def _orders(session: AsyncSession, customer_id: int) -> list[dict[str, Any]]:
    orders = list(
        await session.scalars(
            select(Order).where(Order.customer_id == customer_id).order_by(Order.created_at)
        )
    )
    out = []
    for order in orders:
        items = await session.scalars(select(OrderItem).where(OrderItem.order_id == order.id))
        steps = await session.scalars(
            select(OrderStatusEvent)
            .where(OrderStatusEvent.order_id == order.id)
            .order_by(OrderStatusEvent.at)
        )
        out.append(
            {
                **_row(order, "number", "status", "delivery_type", "created_at", "payment_method"),
                "total": order.total / 100,
                "items": [
                    {**_row(i, "product_id", "name", "quantity"), "price": i.price / 100}
                    for i in items
                ],
                "history": [_row(s, "status", "at") for s in steps],
            }
        )
    return out


async def _conversations(session: AsyncSession, customer_id: int) -> list[dict[str, Any]]:
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.id)
        )
    )
    out = []
    for conversation in conversations:
        messages = await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.private.is_(False))
            .order_by(Message.seq)
        )
        out.append(
            {
                **_row(conversation, "id", "line", "channel", "status", "created_at", "rating"),
                "messages": [_row(m, "seq", "sender_kind", "text", "created_at") for m in messages],
            }
        )
    return out


async def export_customer(session: AsyncSession, customer_id: int) -> dict[str, Any]:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    balances = await session.scalars(
        select(BalanceEntry)
        .where(BalanceEntry.customer_id == customer_id)
        .order_by(BalanceEntry.id)
    )
    certificates = await session.scalars(
        select(GiftCertificate).where(GiftCertificate.activated_by == customer_id)
    )
    contacts = await session.scalars(
        select(ChannelContact).where(ChannelContact.customer_id == customer_id)
    )
    notifications = await session.scalars(
        select(Notification)
        .where(Notification.customer_id == customer_id)
        .order_by(Notification.id)
    )
    tombstone = await session.get(CustomerTombstone, customer_id)
    return {
        "customer": _row(
            customer,
            "id",
            "full_name",
            "phone",
            "email",
            "kind",
            "company_name",
            "registered_on",
            "birth_date",
            "timezone",
            "profitability",
            "created_at",
        ),
        "forgotten_at": _plain(tombstone.forgotten_at) if tombstone else None,
        "orders": await _orders(session, customer_id),
        "balance_entries": [
            {**_row(b, "kind", "source", "created_at", "expires_at"), "amount": b.amount / 100}
            for b in balances
        ],
        "certificates": [
            {**_row(c, "code_tail", "kind", "status", "activated_at"), "nominal": c.nominal / 100}
            for c in certificates
        ],
        "conversations": await _conversations(session, customer_id),
        "channel_contacts": [_row(c, "channel", "address", "created_at") for c in contacts],
        "notifications": [
            _row(n, "type", "event", "channel", "address", "status", "created_at", "sent_at")
            for n in notifications
        ],
    }
