"""An order's status as the marketplace's order system reports it (``POST
/api/v1/orders/{number}/status``): the order's status and history change, and the customer
gets an «Уведомления по заказам» notification in the same transaction (the transactional
outbox), through the channels of their settings. The same status again changes nothing and
notifies nobody (a feed may repeat itself)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.store.models import Order, OrderStatusEvent, utcnow
from marketdesk.store.transactions import serialized

from . import audit, notifications
from .errors import OrderNotFound, UnknownOrderStatus
from .labels import ORDER_STATUS_TITLES
from .principals import Principal

__all__ = ["OrderStatusChanged", "change_order_status"]


class OrderStatusChanged(BaseModel):
    number: str
    status: str
    status_title: str
    changed: bool
    """False: the order already had this status (nothing changed, nobody notified)."""
    notified: list[str]
    """The channels the customer's notification went to (the outbox's rows)."""


@serialized
async def change_order_status(
    session: AsyncSession,
    principal: Principal,
    number: str,
    status: str,
    *,
    at: datetime | None = None,
) -> OrderStatusChanged:
    """Admins (the order system's account): set ``status`` (one of the order statuses)."""
    principal.require_operator(Role.ADMIN)
    if status not in ORDER_STATUS_TITLES:
        raise UnknownOrderStatus(allowed=", ".join(ORDER_STATUS_TITLES))
    order = await session.scalar(select(Order).where(Order.number == number).with_for_update())
    if order is None:
        raise OrderNotFound(number=number)
    title = ORDER_STATUS_TITLES.get(status, status)
    if order.status == status:
        await session.commit()
        return OrderStatusChanged(
            number=number, status=status, status_title=title, changed=False, notified=[]
        )
    event = OrderStatusEvent(order_id=order.id, status=status, at=at or utcnow())
    order.status = status
    session.add(event)
    await session.flush()
    rows = await notifications.notify(
        session,
        event="order_status_changed",
        data={"order": number, "status_title": title},
        idempotency_key=f"order-status:{event.id}",
        customer_id=order.customer_id,
    )
    audit.record(
        session, principal, "order.status", entity_kind="order", entity_id=number, status=status
    )
    await session.commit()
    return OrderStatusChanged(
        number=number,
        status=status,
        status_title=title,
        changed=True,
        notified=sorted(row.channel for row in rows),
    )
