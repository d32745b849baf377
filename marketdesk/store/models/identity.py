"""The customer's codeword and the operators' identity checks (issue 14, item 5); the
«Безопасность» chat of the customer (issue 14, item 4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow

__all__ = ["CustomerCodeword", "IdentityCheck", "SecurityMessage"]


class CustomerCodeword(Base):
    """The codeword a customer gives for support (seed 001): only its argon2 hash, like a
    password; the misses since the last match and the lock after too many."""

    __tablename__ = "customer_codewords"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    word_hash: Mapped[str] = mapped_column(String(200))
    misses: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdentityCheck(Base):
    """One check of the codeword by an operator in a conversation: passed or not (never
    the word). A passed check lets the actions that need identity run in that conversation."""

    __tablename__ = "identity_checks"
    __table_args__ = (Index("ix_identity_checks_conversation", "conversation_id", "passed"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    passed: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SecurityMessage(Base):
    """A message of the customer's «Безопасность» chat (seed 001: a login code comes as
    «сообщение в чате «Безопасность»»): written by the system only, shown in the widget of
    the customer's logged-in devices."""

    __tablename__ = "security_messages"
    __table_args__ = (Index("ix_security_messages_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    login_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("login_codes.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
