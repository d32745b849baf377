"""Back-office tasks (CTASK queues of seed 000), their comments and history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import TASK_OUTCOMES, TASK_PRIORITIES, TASK_STATUSES, one_of

__all__ = ["Task", "TaskComment", "TaskEvent"]


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        one_of("status", TASK_STATUSES),
        one_of("priority", TASK_PRIORITIES),
        one_of("outcome", TASK_OUTCOMES),
        # with the id: the workspace's page of ids and its counts are read from the index
        # alone (an index-only scan on PostgreSQL)
        Index("ix_tasks_queue_status", "queue", "status", "deadline_at", "id"),
        Index("ix_tasks_customer", "customer_id", "status"),
        Index("ix_tasks_assignee", "assignee_id", "status", "deadline_at"),
        Index("ix_tasks_created", "created_at"),
        Index("ix_tasks_queue_created", "queue", "created_at"),  # the workspace's date filter
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # CTASK-000001
    queue: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    order_number: Mapped[str | None] = mapped_column(String(32))
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # how it ended (``domain.task_outcomes.TaskOutcome``), set when it is done or rejected
    outcome: Mapped[str | None] = mapped_column(String(16))


class TaskComment(Base):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskEvent(Base):
    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # created, status, assigned, escalated, ...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
