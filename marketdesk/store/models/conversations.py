"""Conversations and their messages (behaviour lives in services.chat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus
from marketdesk.domain.lines import Line

from .base import Base, BigId, UTCDateTime, utcnow
from .values import CHANNELS, CONVERSATION_STATUSES, LINES, MESSAGE_SENDERS, SLA_KINDS, one_of

__all__ = [
    "Conversation",
    "ConversationOperator",
    "Message",
    "SlaBreach",
    "SlaWarning",
    "Visitor",
]


class Visitor(Base):
    """An anonymous visitor of the chat widget."""

    __tablename__ = "visitors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        one_of("line", LINES),
        one_of("status", CONVERSATION_STATUSES),
        one_of("channel", CHANNELS),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_conversations_queue", "status", "line", "queued_at"),
        Index("ix_conversations_customer", "customer_id"),
        Index("ix_conversations_visitor", "visitor_id"),
        Index("ix_conversations_operator", "assigned_operator_id", "status"),
        Index("ix_conversations_created", "created_at"),
        Index("ix_conversations_channel_contact", "channel_contact_id"),
        Index("ix_conversations_seller", "seller_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    visitor_id: Mapped[str | None] = mapped_column(ForeignKey("visitors.id", ondelete="SET NULL"))
    line: Mapped[str] = mapped_column(String(24), default=Line.GENERAL.value)
    # where the customer writes from (``domain.channels.Channel``)
    channel: Mapped[str] = mapped_column(
        String(16), default=Channel.WEB.value, server_default=Channel.WEB.value
    )
    # the customer's address in that channel (null for the web chat)
    channel_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_contacts.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=ConversationStatus.BOT.value)
    topic: Mapped[str | None] = mapped_column(String(64))
    assigned_operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)  # «Оценка сервиса», optional
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # seller support: topic, sub-topic and the ticket number shown to the seller
    seller_topic: Mapped[str | None] = mapped_column(String(120))
    seller_subtopic: Mapped[str | None] = mapped_column(String(120))
    ticket_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the buyer ↔ seller chat (line ``seller_chat``; kept when the seller passes the case to
    # support): the seller is a party, its accounts read it (``domain.chat_access``)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="SET NULL"))
    # the messages hub's unread counts: the last seq the customer / the seller has seen
    customer_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    seller_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # service level (``domain.sla``): the first public reply by a person, and the running
    # clocks (null when not running: nobody waits for a reply, or the case is resolved)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the customer escalated an overdue conversation to the supervisors, and their deadline
    # (null once resolved or closed)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        one_of("sender_kind", MESSAGE_SENDERS),
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "client_msg_id"),
        # the operators' replies of the last minutes (services.notifications.offline)
        Index("ix_messages_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_kind: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str | None] = mapped_column(String(64))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False)  # operators' notes
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationOperator(Base):
    """Every operator a conversation has ever been assigned to (by the queue, by «take» or
    by a transfer): they keep read access to it after it moves to another operator or line
    (see ``domain.chat_access``)."""

    __tablename__ = "conversation_operators"
    __table_args__ = (Index("ix_conversation_operators_operator", "operator_id"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaBreach(Base):
    """A service-level clock of a conversation that ran out (``domain.sla.SlaKind``): recorded
    once per clock and deadline, with the operator who held the conversation then."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        one_of("kind", SLA_KINDS),
        UniqueConstraint("conversation_id", "kind", "due_at"),
        Index("ix_sla_breaches_breached", "breached_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))


class SlaWarning(Base):
    """A warning that a clock is about to run out, sent once per clock and due time to the
    assigned operator and the supervisors."""

    __tablename__ = "sla_warnings"
    __table_args__ = (
        one_of("kind", SLA_KINDS),
        UniqueConstraint("conversation_id", "kind", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
