"""Events out (issue 16): the admins' webhook subscriptions and the outbox of their
deliveries, one row per event and subscription, written in the event's own transaction.

Behaviour lives in ``services.webhooks`` (the rules in ``domain.webhooks``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketdesk.domain.webhooks import DeliveryStatus

from .base import Base, BigId, UTCDateTime, utcnow
from .values import one_of, values_of

__all__ = ["WebhookDelivery", "WebhookSubscription"]

WEBHOOK_DELIVERY_STATUSES = values_of(DeliveryStatus)


class WebhookSubscription(Base):
    """An endpoint that hears of some event types. ``secret`` is the ``whsec_…`` string (the
    server signs with it, so it is kept as it is; only admins reach it, and only at
    creation). A paused one (``active`` false) gets no new events; what it has pending
    waits until it is resumed."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event to one subscription: the exact body, signed at each try; sent in ``id``
    order within the subscription (a pending one holds the later ones), retried with
    backoff, ``failed`` after the last try (a dead letter, retried by hand)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("status", WEBHOOK_DELIVERY_STATUSES),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "status", "id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_customer", "customer_id"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(String(64), unique=True)  # webhook-id
    event: Mapped[str] = mapped_column(String(64))
    # whose event it tells of (the body's ``customer_id``): forgetting them erases it
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # not before (a retry), or the end of a worker's claim while it sends
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
