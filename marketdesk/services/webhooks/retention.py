"""How long the delivery log keeps what it sent: a customer who is forgotten takes their
events with them (pending ones too: nothing of theirs goes out after), and the clean-up
drops delivered and dead deliveries after ``MARKETDESK_WEBHOOK_LOG_DAYS``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.webhooks import DeliveryStatus
from marketdesk.store.models import WebhookDelivery

__all__ = ["forget_customer_events", "prune_log"]


async def forget_customer_events(session: AsyncSession, customer_id: int) -> int:
    """In the caller's transaction (the right to be forgotten): every delivery of an event
    about ``customer_id`` goes, with its body; → how many."""
    result = await session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.customer_id == customer_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_log(session: AsyncSession, *, now: datetime, days: int) -> int:
    """Delivered and dead deliveries older than ``days`` go (pending ones stay); not
    committed here; → how many."""
    result = await session.execute(
        delete(WebhookDelivery)
        .where(
            WebhookDelivery.status.in_(
                (DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value)
            ),
            WebhookDelivery.created_at <= now - timedelta(days=days),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
