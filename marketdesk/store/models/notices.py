"""Notices to staff (for example: a task's deadline has passed), read per operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import ROLES, one_of

__all__ = ["StaffNotice"]


class StaffNotice(Base):
    """A notice addressed to everyone with a role (``role``) or to one operator."""

    __tablename__ = "staff_notices"
    __table_args__ = (
        one_of("role", ROLES),
        Index("ix_staff_notices_role", "role", "created_at"),
        Index("ix_staff_notices_operator", "operator_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    role: Mapped[str | None] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # task_escalated, ...
    text: Mapped[str] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
