"""The delivery log of one customer, for staff: what was sent, through which channel, from
which sender, with which template, and what became of it. Never the text (a login code or a
certificate's code may be in it), never the idempotency key."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.store.models import Customer, Notification, utcnow

from ..errors import CustomerNotFound
from ..principals import Principal

__all__ = ["ChannelStats", "DeliveryLog", "LogEntry", "channel_stats", "customer_log"]


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


_ADDRESSES = {"push": "браузеры покупателя", "center": "центр уведомлений"}
"""Channels whose address is the customer: what the log says instead."""


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
                address=_ADDRESSES.get(row.channel) or mask_address(row.address),
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


class ChannelStats(BaseModel):
    channel: str
    total: int
    by_status: dict[str, int]
    failure_rate: float
    """failed / (sent + delivered + failed): what did not reach the provider, as a share."""


async def channel_stats(
    session: AsyncSession, principal: Principal, *, hours: int = 24
) -> list[ChannelStats]:
    """Supervisors: each channel's notifications of the last ``hours`` by status."""
    principal.require_operator(Role.SUPERVISOR)
    since = utcnow() - timedelta(hours=hours)
    rows = await session.execute(
        select(Notification.channel, Notification.status, func.count())
        .where(Notification.created_at >= since)
        .group_by(Notification.channel, Notification.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for channel, status, count in rows:
        counts.setdefault(channel, {})[status] = int(count)
    out = []
    for channel, by_status in sorted(counts.items()):
        finished = sum(by_status.get(s, 0) for s in ("sent", "delivered", "failed"))
        failed = by_status.get("failed", 0)
        out.append(
            ChannelStats(
                channel=channel,
                total=sum(by_status.values()),
                by_status=by_status,
                failure_rate=round(failed / finished, 4) if finished else 0.0,
            )
        )
    return out
