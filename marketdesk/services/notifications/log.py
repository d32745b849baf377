"""The delivery log of one customer, for staff: what was sent, through which channel, from
which sender, with which template, and what became of it. Never the text (a login code or a
certificate's code may be in it), never the idempotency key."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import Customer, Notification

from ..errors import CustomerNotFound
from ..principals import Principal

__all__ = ["DeliveryLog", "LogEntry", "customer_log"]


class LogEntry(BaseModel):
    id: int
    type: str
    event: str
    channel: str
    address: str
    """Masked: enough to tell «this number, that address» apart on the phone."""
    sender: str | None
    template: str
    status: str
    error: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None


class DeliveryLog(BaseModel):
    customer_id: int
    notifications: list[LogEntry]


def mask_address(address: str) -> str:
    """``+79001234567`` → ``+7•••••••67``; ``ivan@example.ru`` → ``i•••@example.ru``."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    return (
        address[:2] + "•" * max(len(address) - 4, 0) + address[-2:] if len(address) > 6 else "•••"
    )


async def customer_log(
    session: AsyncSession, principal: Principal, customer_id: int, *, limit: int = 100
) -> DeliveryLog:
    principal.require_operator()
    if await session.get(Customer, customer_id) is None:
        raise CustomerNotFound(customer_id=customer_id)
    rows = await session.scalars(
        select(Notification)
        .where(Notification.customer_id == customer_id)
        .order_by(Notification.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    return DeliveryLog(
        customer_id=customer_id,
        notifications=[
            LogEntry(
                id=row.id,
                type=row.type,
                event=row.event,
                channel=row.channel,
                address=mask_address(row.address),
                sender=row.sender,
                template=row.template,
                status=row.status,
                error=row.error,
                attempts=row.attempts,
                created_at=row.created_at,
                next_attempt_at=row.next_attempt_at if row.status == "queued" else None,
                sent_at=row.sent_at,
                delivered_at=row.delivered_at,
                failed_at=row.failed_at,
            )
            for row in rows
        ],
    )
