"""Operators, their roles and lines, sessions (bearer tokens) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import LINES, ROLES, one_of

__all__ = ["AuditEntry", "Operator", "OperatorLine", "OperatorRole", "OperatorSeller", "Session"]


class Operator(Base):
    __tablename__ = "operators"
    __table_args__ = (CheckConstraint("chat_capacity BETWEEN 0 AND 50", name="capacity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    chat_capacity: Mapped[int] = mapped_column(Integer, default=3)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the second factor (domain.totp): a secret while enrolling, enabled once confirmed
    totp_secret: Mapped[str | None] = mapped_column(String(128))  # sealed (services.sealing)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class OperatorRole(Base):
    __tablename__ = "operator_roles"
    __table_args__ = (one_of("role", ROLES),)

    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class OperatorLine(Base):
    __tablename__ = "operator_lines"
    __table_args__ = (one_of("line", LINES),)

    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[str] = mapped_column(String(24), primary_key=True)


class OperatorSeller(Base):
    """A staff account that answers for a seller in the buyer ↔ seller chat (the seller's own
    account, or the demo's ``sellers``): it reads and writes that seller's dialogues."""

    __tablename__ = "operator_sellers"
    __table_args__ = (Index("ix_operator_sellers_seller", "seller_id"),)

    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    seller_id: Mapped[int] = mapped_column(
        ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True
    )


class Session(Base):
    """A bearer token: only its SHA-256 is stored."""

    __tablename__ = "sessions"
    __table_args__ = (
        one_of("subject_kind", ("operator", "customer", "visitor")),
        Index("ix_sessions_operator", "operator_id"),
        Index("ix_sessions_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    visitor_id: Mapped[str | None] = mapped_column(String(36))
    # the customer's device as its list shows it («Chrome, Windows»: domain.identity)
    device: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_kind", "entity_id"),
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor", "actor_kind", "actor_id", "at"),  # the viewer's filters
        Index("ix_audit_log_action", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))  # operator, customer, system, cli
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity_kind: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
