"""Overdue back-office tasks escalated to the supervisors (run by the SLA timer), and the
staff's notices: a ``StaffNotice`` row per task and, live, a ``task_escalated`` frame on the
operator sockets of the supervisors, the admins and each task's assignee."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import StaffNotice, Task, TaskEvent, utcnow

from . import audit, task_live, webhooks
from .chat.events import Publisher, operator_channel
from .chat.sla_watch import supervisor_ids
from .principals import Principal
from .webhooks.payloads import task_data

__all__ = ["ESCALATION_FRAME_TASKS", "NoticeView", "escalate_overdue", "list_notices"]


async def escalate_overdue(
    session: AsyncSession, *, now: datetime | None = None, publish: Publisher | None = None
) -> list[str]:
    """Flag every open task whose deadline has passed and notify the supervisors, once per
    task: a ``StaffNotice`` row, and after the commit a ``task_escalated`` frame on the
    operator sockets of the supervisors and admins and of each task's assignee (with
    ``publish``, the broker's). Run by the SLA timer; ``now`` is a parameter so tests
    control the clock."""
    now = now or utcnow()
    overdue = list(
        await session.scalars(
            select(Task)
            .where(
                Task.deadline_at < now,
                Task.escalated_at.is_(None),
                Task.status.in_(["new", "in_progress", "waiting"]),
            )
            .order_by(Task.deadline_at)
            .with_for_update(skip_locked=True)
        )
    )
    for task in overdue:
        task.escalated_at = now
        deadline = task.deadline_at.isoformat() if task.deadline_at else None
        session.add(
            TaskEvent(task_id=task.id, at=now, kind="escalated", details={"deadline": deadline})
        )
        session.add(
            StaffNotice(
                role=Role.SUPERVISOR,
                kind="task_escalated",
                text=_escalation_text(task),
                task_id=task.id,
                details={"number": task.number, "queue": task.queue},
                created_at=now,
            )
        )
        audit.record(session, None, "task.escalated", entity_kind="task", entity_id=task.number)
        await webhooks.emit(
            session, WebhookEvent.TASK_CHANGED, partial(task_data, task, "escalated")
        )
    supervisors = await supervisor_ids(session) if overdue and publish is not None else []
    escalation = _escalation_event(overdue, supervisors) if overdue else None
    if escalation is not None and publish is not None:
        # the other back-office workers: the counts changed (a tasks_changed frame)
        told = _escalation_recipients(overdue, supervisors)
        await task_live.announce(session, "escalated", overdue, publish=publish, skip=told)
    await session.commit()
    if escalation is not None and publish is not None:
        await publish(*escalation)
    return [task.number for task in overdue]


ESCALATION_FRAME_TASKS = 50
"""At most this many tasks are described in one ``task_escalated`` frame (``count`` gives
them all): a round after a long stop may escalate thousands."""


def _escalation_text(task: Task) -> str:
    return f"Срок задачи {task.number} («{task.title}», очередь «{task.queue}») истёк."


def _escalation_recipients(overdue: Sequence[Task], supervisors: Sequence[int]) -> set[int]:
    """The supervisors and admins, and each escalated task's assignee."""
    return set(supervisors) | {int(t.assignee_id) for t in overdue if t.assignee_id is not None}


def _escalation_event(
    overdue: Sequence[Task], supervisors: Sequence[int]
) -> tuple[list[str], dict[str, Any]]:
    """The ``task_escalated`` frame of a round (docs/protocol.md) and its channels."""
    to = _escalation_recipients(overdue, supervisors)
    queues: dict[str, int] = {}
    for task in overdue:
        queues[task.queue] = queues.get(task.queue, 0) + 1
    described = [
        {
            "number": t.number,
            "queue": t.queue,
            "title": t.title,
            "deadline_at": t.deadline_at.isoformat() if t.deadline_at else None,
            "assignee_id": t.assignee_id,
            "customer_id": t.customer_id,
        }
        for t in overdue[:ESCALATION_FRAME_TASKS]
    ]
    text = (
        _escalation_text(overdue[0])
        if len(overdue) == 1
        else f"Истёк срок задач ({len(overdue)}): "
        + ", ".join(t.number for t in overdue[:5])
        + ("…" if len(overdue) > 5 else ".")
    )
    event = {
        "type": "task_escalated",
        "count": len(overdue),
        "queues": queues,
        "tasks": described,
        "text": text,
    }
    return [operator_channel(i) for i in sorted(to)], event


class NoticeView(BaseModel):
    id: int
    kind: str
    text: str
    task_number: str | None
    created_at: datetime
    read: bool


async def list_notices(
    session: AsyncSession, actor: Principal, *, unread_only: bool = False, limit: int = 50
) -> list[NoticeView]:
    """Notices for the actor's roles and for the actor personally, newest first."""
    actor.require_operator()
    roles = list(actor.roles | ({Role.SUPERVISOR} if Role.ADMIN in actor.roles else set()))
    stmt = select(StaffNotice).where(
        (StaffNotice.role.in_(roles)) | (StaffNotice.operator_id == int(actor.id))
    )
    if unread_only:
        stmt = stmt.where(StaffNotice.read_at.is_(None))
    rows = await session.scalars(stmt.order_by(StaffNotice.id.desc()).limit(limit))
    return [
        NoticeView(
            id=n.id,
            kind=n.kind,
            text=n.text,
            task_number=n.details.get("number"),
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in rows
    ]
