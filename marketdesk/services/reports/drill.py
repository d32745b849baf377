"""The conversations (or tasks) behind a number of a report: a click on a cell of the page
(``GET /api/v1/reports/{name}/conversations?metric=&key=&…``). Read from the conversations
themselves, so the list is current even where the report counts a materialised day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.reports import day_bounds
from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.store.models import Conversation, SlaBreach, Task, utcnow
from marketdesk.store.sqlite_driver import offloaded_calls

from ..errors import InvalidDrill
from ..principals import Principal
from .facts import ReportFilter, conversation_conditions
from .query import _OPEN_TASKS, check_access, report_spec

__all__ = ["DRILL_LIMIT", "METRICS", "drill"]

DRILL_LIMIT: Final = 200
"""Conversations listed at most; ``total`` says how many there are."""

_C = Conversation
_BREACHED = exists().where(SlaBreach.conversation_id == _C.id)
METRICS: Final[dict[str, list[ColumnElement[bool]]]] = {
    "all": [],
    "handed": [_C.queued_at.is_not(None)],
    "contained": [_C.queued_at.is_(None)],
    "breached": [_C.queued_at.is_not(None), _BREACHED],
    "attained": [_C.queued_at.is_not(None), ~_BREACHED],
    "first_response": [_C.queued_at.is_not(None), _C.first_response_at.is_not(None)],
    "resolved_handed": [_C.queued_at.is_not(None), _C.resolved_at.is_not(None)],
    "resolved": [_C.resolved_at.is_not(None)],
    "rated": [_C.rating.is_not(None)],
    "rating": [_C.rating.is_not(None)],
    "conversation": [],
}
"""What each drillable column counts, as conditions on ``conversations``."""

_TASK_METRICS: Final = frozenset({"created", "closed", "closed_late", "overdue"})


def _int(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise InvalidDrill() from None


def _group_conditions(
    group: str, key: str | None, wanted: ReportFilter
) -> tuple[ReportFilter, list[ColumnElement[bool]], int | None]:
    """The row's restriction: a narrower period, conditions, or a Moscow hour to keep."""
    if key is None or group == "all":
        return wanted, [], None
    columns = {"line": _C.line, "channel": _C.channel, "topic": _C.topic}
    if group == "day":
        try:
            day = date.fromisoformat(key)
        except ValueError:
            raise InvalidDrill() from None
        if not wanted.date_from <= day <= wanted.date_to:
            raise InvalidDrill()
        return ReportFilter(day, day), [], None
    if group == "hour":
        return wanted, [], _int(key)
    if group in columns:
        column = columns[group]
        return wanted, [column.is_(None) if key == "" else column == key], None
    if group == "operator":
        operator = _C.assigned_operator_id
        return wanted, [operator.is_(None) if key == "" else operator == _int(key)], None
    if group == "rating":
        return wanted, [_C.rating == _int(key)], None
    if group == "comments":
        return wanted, [_C.id == _int(key)], None
    raise InvalidDrill()


def _hour_ranges(wanted: ReportFilter, hour: int) -> list[ColumnElement[bool]]:
    if not 0 <= hour <= 23:
        raise InvalidDrill()
    ranges = []
    for offset in range((wanted.date_to - wanted.date_from).days + 1):
        day = wanted.date_from + timedelta(days=offset)
        start = datetime.combine(day, time(hour, 0), tzinfo=MOSCOW_TZ)
        ranges.append(and_(_C.created_at >= start, _C.created_at < start + timedelta(hours=1)))
    return ranges


async def _conversations(
    session: AsyncSession,
    wanted: ReportFilter,
    conditions: list[ColumnElement[bool]],
    hour: int | None,
) -> dict[str, Any]:
    start, end = day_bounds(wanted.date_from, wanted.date_to)
    where = [_C.created_at >= start, _C.created_at < end, *conversation_conditions(wanted)]
    where += conditions
    if hour is not None:  # the Moscow hour of creation: that hour of every day, by the index
        where.append(or_(*_hour_ranges(wanted, hour)))
    total = await session.scalar(select(func.count()).select_from(_C).where(*where)) or 0
    query = select(_C).where(*where).order_by(_C.created_at.desc()).limit(DRILL_LIMIT)
    found = list(await session.scalars(query))
    return {
        "total": total,
        "conversations": [
            {
                "id": c.id,
                "created_at": c.created_at.isoformat(),
                "line": c.line,
                "channel": c.channel,
                "topic": c.topic,
                "status": c.status,
                "rating": c.rating,
                "url": f"/console#conversation={c.id}",
            }
            for c in found
        ],
    }


async def _tasks(
    session: AsyncSession, wanted: ReportFilter, metric: str, queue: str | None
) -> dict[str, Any]:
    start, end = day_bounds(wanted.date_from, wanted.date_to)
    conditions: dict[str, list[ColumnElement[bool]]] = {
        "created": [Task.created_at >= start, Task.created_at < end],
        "closed": [Task.closed_at >= start, Task.closed_at < end],
        "closed_late": [
            Task.closed_at >= start,
            Task.closed_at < end,
            Task.closed_at > Task.deadline_at,
        ],
        "overdue": [Task.status.in_(_OPEN_TASKS), Task.deadline_at < utcnow()],
    }
    where = conditions[metric]
    if queue is not None:
        where = [*where, Task.queue == queue]
    if wanted.operator_id is not None:
        where = [*where, Task.assignee_id == wanted.operator_id]
    total = await session.scalar(select(func.count()).select_from(Task).where(*where)) or 0
    query = select(Task).where(*where).order_by(Task.created_at.desc()).limit(DRILL_LIMIT)
    return {
        "total": total,
        "tasks": [
            {
                "number": t.number,
                "title": t.title,
                "queue": t.queue,
                "status": t.status,
                "deadline_at": t.deadline_at.isoformat() if t.deadline_at else None,
            }
            for t in await session.scalars(query)
        ],
    }


@offloaded_calls
async def drill(
    session: AsyncSession,
    principal: Principal,
    name: str,
    wanted: ReportFilter,
    metric: str,
    key: str | None,
) -> dict[str, Any]:
    """What lies behind the number of ``metric`` in the row ``key`` of the report ``name``:
    up to ``DRILL_LIMIT`` conversations (newest first, each with the console link that opens
    it) or, for the tasks report, tasks; and how many there are in all."""
    check_access(principal)
    spec = report_spec(name)
    body: dict[str, Any] = {"report": spec.name, "metric": metric, "key": key}
    if spec.group == "queue":
        if metric not in _TASK_METRICS:
            raise InvalidDrill()
        return body | await _tasks(session, wanted, metric, key)
    if metric not in METRICS:
        raise InvalidDrill()
    period, conditions, hour = _group_conditions(spec.group, key, wanted)
    if period is not wanted:
        period = ReportFilter(
            period.date_from,
            period.date_to,
            wanted.line,
            wanted.channel,
            wanted.operator_id,
            wanted.topic,
        )
    return body | await _conversations(session, period, METRICS[metric] + conditions, hour)
