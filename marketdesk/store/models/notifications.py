"""Notifications: the transactional outbox (one row per channel of a notification, written in
the transaction of the event that raised it, delivered after) and the customers' choices of
channels. The ``notifications`` table replaced ``sms_outbox`` (its rows moved here)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketdesk.domain.notifications import (
    NOTIFICATION_STATUSES,
    NOTIFICATION_TYPES,
    NotificationChannel,
)

from .base import Base, BigId, UTCDateTime, utcnow
from .values import one_of, values_of

__all__ = ["CustomerPresence", "Notification", "NotificationSetting", "PushSubscription"]

NOTIFICATION_CHANNELS = values_of(NotificationChannel)


class Notification(Base):
    """One message to one address through one channel. The text of a secret (a login code,
    a certificate's code) is wiped once the provider took it or it expired; what remains is
    the delivery log operators read."""

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("type", NOTIFICATION_TYPES),
        one_of("channel", NOTIFICATION_CHANNELS),
        one_of("status", NOTIFICATION_STATUSES),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_customer", "customer_id", "id"),
        Index("ix_notifications_created", "created_at"),
        Index("ix_notifications_provider", "channel", "provider_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(48))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))  # a phone, an e-mail address
    sender: Mapped[str | None] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)  # NULL once a secret was sent or expired
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # not before (quiet hours, a retry), or the end of a worker's claim while it sends
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # unique per notification and channel; passed to the provider so a retry is not a repeat
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the notification centre (channel ``center``): when the customer read the item
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the provider's id of the message (the SMS gateway's, VK's), for its delivery reports
    provider_id: Mapped[str | None] = mapped_column(String(120))


class NotificationSetting(Base):
    """A customer's choice for one type and channel (absent: the catalogue's default)."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        one_of("type", NOTIFICATION_TYPES),
        one_of("channel", NOTIFICATION_CHANNELS),
    )

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(24), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushSubscription(Base):
    """A browser of the customer that accepts Web Push (the widget's service worker): the
    push service's endpoint and the keys the payload is encrypted to (RFC 8291)."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (Index("ix_push_subscriptions_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))  # the browser's P-256 key, base64url
    auth: Mapped[str] = mapped_column(String(64))  # the shared auth secret, base64url
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerPresence(Base):
    """When the customer was last seen in the widget's chat (a socket of theirs opened,
    was open, or closed): an operator's reply after that, while they are away, is told to
    them by e-mail or push (``services.notifications.offline``)."""

    __tablename__ = "customer_presence"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
