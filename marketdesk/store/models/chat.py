"""Live chat: operator availability, attachments, phone login codes and the
Travel profile that decides the priority line (behaviour lives in services)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow

__all__ = ["Attachment", "LoginCode", "OperatorPresence", "TravelProfile"]


class OperatorPresence(Base):
    """Whether an operator takes chats now (auto-assignment only picks available ones)."""

    __tablename__ = "operator_presence"

    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """A file a customer or operator sent in a conversation; the bytes live in the data dir."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_conversation", "conversation_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploader_kind: Mapped[str] = mapped_column(String(16))
    uploader_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginCode(Base):
    """A one-time login code: only its keyed hash is stored (seed 001: phone, then a code)."""

    __tablename__ = "login_codes"
    __table_args__ = (
        Index("ix_login_codes_phone", "phone", "created_at"),
        Index("ix_login_codes_ip", "requested_ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    requested_ip: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TravelProfile(Base):
    """What makes a customer eligible for the Travel priority line (seed 002)."""

    __tablename__ = "travel_profiles"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    has_hotel_booking: Mapped[bool] = mapped_column(Boolean, default=False)
    is_corporate: Mapped[bool] = mapped_column(Boolean, default=False)
    package: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
