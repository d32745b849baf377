"""The outside channels (e-mail, Telegram, VK): who writes from which address, what came in
(the idempotency of inbound messages), and the outbox of what goes out.

Behaviour lives in ``services.channels`` (and the chat's send path, which writes the outbox
row in the message's own transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketdesk.domain.channels import DeliveryStatus

from .base import Base, BigId, UTCDateTime, utcnow
from .values import CHANNELS, one_of, values_of

__all__ = ["ChannelContact", "ChannelDelivery", "ChannelInbound"]

DELIVERY_STATUSES = values_of(DeliveryStatus)


class ChannelContact(Base):
    """A customer's address in an outside channel (an e-mail address, a Telegram chat, a VK
    peer). It writes as a visitor of its own until it is linked to a customer account (a
    shared phone number in Telegram, a known e-mail address)."""

    __tablename__ = "channel_contacts"
    __table_args__ = (
        one_of("channel", CHANNELS),
        UniqueConstraint("channel", "address"),
        Index("ix_channel_contacts_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    visitor_id: Mapped[str] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # how the link to the customer was made: "email" (the address is the account's),
    # "phone" (the channel shared the account's phone number)
    linked_by: Mapped[str | None] = mapped_column(String(16))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelInbound(Base):
    """An inbound message already taken (its ``Message-ID``, Telegram update or VK message
    id): a repeat of it is acknowledged and stored nothing."""

    __tablename__ = "channel_inbound"
    __table_args__ = (Index("ix_channel_inbound_conversation", "conversation_id"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelDelivery(Base):
    """A message to deliver through its conversation's outside channel: written in the
    message's own transaction, sent after, retried with backoff; ``failed`` is the console's
    «не доставлено» with a retry button. ``external_id`` is what the channel calls the sent
    message (the e-mail's ``Message-ID``, Telegram's ``message_id``): a reply to it threads."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (
        one_of("channel", CHANNELS),
        one_of("status", DELIVERY_STATUSES),
        Index("ix_channel_deliveries_due", "status", "next_attempt_at"),
        Index("ix_channel_deliveries_conversation", "conversation_id"),
        Index("ix_channel_deliveries_external", "channel", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # not before (a retry), or the end of a worker's claim while it sends
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(500))
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
