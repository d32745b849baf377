"""The supervisors' live wallboard (issue 15, ``/console/board``): one snapshot of the
contact centre now, each figure one query on an index.

* conversations per line and channel: with the bot, waiting in the queue, with an operator,
  and the longest wait (``ix_conversations_queue``: status, line, queued_at);
* operators: taking chats now (``operator_presence``), at their ``chat_capacity``;
* SLA at risk: open conversations whose first or next reply is due within the warning
  window (``MARKETDESK_BOARD_SLA_WARNING_MINUTES``) or overdue (the due times are kept by
  the chat's service-level clocks, ``domain/sla.py``);
* bot containment today (Moscow day): conversations created today that never reached the
  queue (``queued_at`` null), over all created today (``ix_conversations_created``);
* back-office tasks per queue: open (new, in progress, waiting) and overdue
  (``ix_tasks_queue_status``);
* reviews of low ratings still open (``ix_rating_reviews_status``).

The snapshot goes to the page on request (``GET /api/v1/board``) and is pushed over the
operator socket to connected supervisors every ``MARKETDESK_BOARD_PUSH_SECONDS``
(``workers/board.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import CHANNEL_TITLES_RU, Channel
from marketdesk.domain.conversations import OPEN_STATUSES
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import LINE_TITLES_RU, Line
from marketdesk.domain.ratings import ReviewStatus
from marketdesk.domain.roles import Role
from marketdesk.domain.tasks import MOSCOW_TZ, QUEUES, TaskStatus
from marketdesk.store.models import (
    Conversation,
    Operator,
    OperatorPresence,
    OperatorRole,
    RatingReview,
    Task,
    utcnow,
)

from .principals import Principal

__all__ = [
    "BOARD_EVENT",
    "Board",
    "board_event",
    "snapshot",
    "supervisor_ids",
]

BOARD_EVENT = "board"
"""The type of the live frame that carries a snapshot: ``{"type": "board", "board": {…}}``."""

_LINES = frozenset(line.value for line in Line)
# the buyer ↔ seller chat is the sellers' work, not support's: not on the wallboard
_SUPPORT_LINES = tuple(line for line in Line if line != Line.SELLER_CHAT)
_CHANNELS = frozenset(channel.value for channel in Channel)
OPEN_TASK_STATUSES = (TaskStatus.NEW.value, TaskStatus.IN_PROGRESS.value, TaskStatus.WAITING.value)


class LineRow(BaseModel):
    line: str
    line_title: str
    channel: str
    channel_title: str
    bot: int = 0
    waiting: int = 0
    active: int = 0
    longest_wait_s: int | None = None


class Operators(BaseModel):
    online: int
    at_capacity: int
    chats: int
    capacity: int


class SlaRisk(BaseModel):
    warning_minutes: float
    at_risk: int
    overdue: int
    conversation_ids: list[int]


class Containment(BaseModel):
    created: int
    contained: int
    rate: float | None


class TaskQueueRow(BaseModel):
    queue: str
    title: str
    backlog: int
    overdue: int


class Board(BaseModel):
    at: datetime
    lines: list[LineRow]
    waiting: int
    active: int
    bot: int
    longest_wait_s: int | None
    operators: Operators
    sla: SlaRisk
    containment: Containment
    tasks: list[TaskQueueRow]
    reviews_open: int


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


async def _lines(session: AsyncSession, now: datetime) -> list[LineRow]:
    rows = (
        await session.execute(
            select(
                Conversation.line,
                Conversation.channel,
                Conversation.status,
                func.count(),
                func.min(Conversation.queued_at),
            )
            .where(
                Conversation.status.in_([s.value for s in OPEN_STATUSES]),
                Conversation.line != Line.SELLER_CHAT.value,  # the sellers', not support's
            )
            .group_by(Conversation.line, Conversation.channel, Conversation.status)
        )
    ).all()
    table: dict[tuple[str, str], LineRow] = {}

    def row(line: str, channel: str) -> LineRow:
        key = (line, channel)
        if key not in table:
            table[key] = LineRow(
                line=line,
                line_title=LINE_TITLES_RU[Line(line)] if line in _LINES else line,
                channel=channel,
                channel_title=(
                    CHANNEL_TITLES_RU[Channel(channel)] if channel in _CHANNELS else channel
                ),
            )
        return table[key]

    for known in _SUPPORT_LINES:  # every support line is on the board, the web chat at least
        row(known.value, Channel.WEB.value)
    for line, channel, status, count, oldest in rows:
        item = row(str(line), str(channel))
        if status == S.BOT:
            item.bot += int(count)
        elif status == S.QUEUED:
            item.waiting += int(count)
            if oldest is not None:
                wait = _seconds(now - oldest)
                item.longest_wait_s = max(item.longest_wait_s or 0, wait)
        elif status == S.ASSIGNED:
            item.active += int(count)
    order = {line.value: i for i, line in enumerate(Line)}
    channels = {channel.value: i for i, channel in enumerate(Channel)}
    return sorted(
        table.values(), key=lambda r: (order.get(r.line, 99), channels.get(r.channel, 99))
    )


async def _operators(session: AsyncSession) -> Operators:
    load = (
        select(func.count())
        .where(
            Conversation.assigned_operator_id == Operator.id,
            Conversation.status == S.ASSIGNED.value,
        )
        .correlate(Operator)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Operator.chat_capacity, load)
            .join(OperatorPresence, OperatorPresence.operator_id == Operator.id)
            .where(OperatorPresence.available.is_(True), Operator.is_active.is_(True))
        )
    ).all()
    return Operators(
        online=len(rows),
        at_capacity=sum(1 for capacity, chats in rows if int(chats) >= int(capacity)),
        chats=sum(int(chats) for _, chats in rows),
        capacity=sum(int(capacity) for capacity, _ in rows),
    )


async def _sla(session: AsyncSession, now: datetime, warning: timedelta) -> SlaRisk:
    limit = now + warning
    rows = (
        await session.execute(
            select(
                Conversation.id,
                Conversation.first_response_due_at,
                Conversation.next_response_due_at,
            )
            .where(
                Conversation.status.in_([s.value for s in OPEN_STATUSES]),
                or_(
                    Conversation.first_response_due_at <= limit,
                    Conversation.next_response_due_at <= limit,
                ),
            )
            .order_by(Conversation.id)
        )
    ).all()
    at_risk = overdue = 0
    ids: list[int] = []
    for cid, first, following in rows:
        due = min(d for d in (first, following) if d is not None)
        if due <= now:
            overdue += 1
        else:
            at_risk += 1
        ids.append(int(cid))
    return SlaRisk(
        warning_minutes=warning.total_seconds() / 60,
        at_risk=at_risk,
        overdue=overdue,
        conversation_ids=ids[:50],
    )


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s Moscow day (the day the wallboard's «today» means)."""
    local = now.astimezone(MOSCOW_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def _containment(session: AsyncSession, now: datetime) -> Containment:
    created, contained = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Conversation.queued_at.is_(None), 1), else_=0)), 0),
            ).where(
                Conversation.created_at >= start_of_day(now),
                Conversation.line != Line.SELLER_CHAT.value,  # no bot there to contain
            )
        )
    ).one()
    created, contained = int(created), int(contained)
    return Containment(
        created=created,
        contained=contained,
        rate=round(contained / created, 4) if created else None,
    )


async def _tasks(session: AsyncSession, now: datetime) -> list[TaskQueueRow]:
    rows = (
        await session.execute(
            select(
                Task.queue,
                func.count(),
                func.coalesce(
                    func.sum(
                        case(
                            (and_(Task.deadline_at.is_not(None), Task.deadline_at < now), 1),
                            else_=0,
                        )
                    ),
                    0,
                ),
            )
            .where(Task.status.in_(OPEN_TASK_STATUSES))
            .group_by(Task.queue)
        )
    ).all()
    counts = {str(queue): (int(n), int(late)) for queue, n, late in rows}
    result = [
        TaskQueueRow(queue=path, title=spec.title_ru, backlog=n, overdue=late)
        for path, spec in QUEUES.items()
        for n, late in [counts.pop(path, (0, 0))]
    ]
    result += [
        TaskQueueRow(queue=queue, title=queue, backlog=n, overdue=late)
        for queue, (n, late) in sorted(counts.items())
    ]
    return result


async def _reviews_open(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(RatingReview)
        .where(RatingReview.status == ReviewStatus.OPEN.value)
    )
    return int(count or 0)


async def snapshot(
    session: AsyncSession,
    principal: Principal | None,
    *,
    warning: timedelta,
    now: datetime | None = None,
) -> Board:
    """The wallboard now, for supervisors and admins (``principal`` None: the push worker,
    which sends it to supervisors only)."""
    if principal is not None:
        principal.require_operator(Role.SUPERVISOR)
    now = now or utcnow()
    lines = await _lines(session, now)
    waits = [r.longest_wait_s for r in lines if r.longest_wait_s is not None]
    board = Board(
        at=now,
        lines=lines,
        waiting=sum(r.waiting for r in lines),
        active=sum(r.active for r in lines),
        bot=sum(r.bot for r in lines),
        longest_wait_s=max(waits) if waits else None,
        operators=await _operators(session),
        sla=await _sla(session, now, warning),
        containment=await _containment(session, now),
        tasks=await _tasks(session, now),
        reviews_open=await _reviews_open(session),
    )
    await session.rollback()  # read only: no transaction left open
    return board


async def supervisor_ids(session: AsyncSession) -> list[int]:
    """The active supervisors and admins (who may see the wallboard)."""
    ids = await session.scalars(
        select(OperatorRole.operator_id)
        .join(Operator, Operator.id == OperatorRole.operator_id)
        .where(
            OperatorRole.role.in_([Role.SUPERVISOR.value, Role.ADMIN.value]),
            Operator.is_active.is_(True),
        )
        .distinct()
    )
    result = sorted(int(i) for i in ids)
    await session.rollback()
    return result


def board_event(board: Board) -> dict[str, Any]:
    """The live frame of a snapshot."""
    return {"type": BOARD_EVENT, "board": board.model_dump(mode="json")}
