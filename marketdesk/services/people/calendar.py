"""The business-hours calendar as admins edit it, and the process's copy every deadline uses.

The rules are :mod:`marketdesk.domain.calendar`'s: Russia's public holidays from the
``holidays`` library, the admins' exceptions over them (``calendar_exceptions``), each line's
hours (``line_schedules``, the seeds' 09:00–18:00 by default), each queue's deadline
(``queue_settings``, :data:`marketdesk.domain.tasks.QUEUES` by default).

Deadlines are computed in synchronous code (the chat's SLA clocks), so each process keeps the
calendars in memory: :func:`refresh` reads them (at start, after every edit, before a task's
deadline is set, and at least every :data:`MAX_AGE` otherwise, see :func:`ensure_fresh`),
and hands each line's calendar to the chat's SLA (:func:`..chat.sla.configure_calendars`)."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import calendar as rules
from marketdesk.domain import tasks as task_rules
from marketdesk.domain.lines import Line
from marketdesk.domain.tasks import BusinessHours, QueueSpec
from marketdesk.store.models import CalendarException, LineSchedule, QueueSetting, utcnow

from ..chat import sla

__all__ = [
    "MAX_AGE",
    "current",
    "ensure_fresh",
    "exceptions",
    "line_hours",
    "queue_spec",
    "refresh",
    "workdays_text",
]

MAX_AGE: Final = 60.0
"""Seconds a process keeps its copy before :func:`ensure_fresh` reads it again (another
process's edit reaches this one within that)."""


@dataclass(slots=True)
class _Copy:
    default: BusinessHours
    lines: dict[str, BusinessHours] = field(default_factory=dict)
    hours: dict[str, rules.LineHours] = field(default_factory=dict)
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    loaded_at: float = 0.0  # time.monotonic(); 0: never read from the database


def _build(
    exceptions: dict[date, tuple[rules.DayKind, str]], hours: dict[str, rules.LineHours]
) -> tuple[BusinessHours, dict[str, BusinessHours]]:
    years = rules.years_around(utcnow().date())
    default = rules.business_hours(rules.DEFAULT_LINE_HOURS, years=years, exceptions=exceptions)
    lines = {
        line.value: replace(
            default,
            opens=hours[line.value].opens,
            closes=hours[line.value].closes,
            workdays=hours[line.value].workdays,
        )
        if line.value in hours
        else default
        for line in Line
    }
    return default, lines


_copies: list[_Copy] = []  # built on first use (the holidays take a moment to compute)


def _copy() -> _Copy:
    if not _copies:
        _copies.append(_Copy(*_build({}, {})))
    return _copies[0]


def current(line: str | None = None) -> BusinessHours:
    """The business hours of ``line`` (or the default ones: the queues', the reports')."""
    copy = _copy()
    if line is None:
        return copy.default
    return copy.lines.get(line, copy.default)


def line_hours(line: str) -> rules.LineHours:
    return _copy().hours.get(line, rules.DEFAULT_LINE_HOURS)


def queue_spec(path: str) -> QueueSpec:
    """The queue with the deadline an admin set (raises ``domain.tasks.UnknownQueue``)."""
    spec = task_rules.queue_spec(path)
    return _copy().queues.get(spec.path, spec)


def workdays_text(days: frozenset[int]) -> str:
    return ",".join(str(d) for d in sorted(days))


def _parse_workdays(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in raw.split(",") if part.strip().isdigit())


async def exceptions(session: AsyncSession) -> dict[date, tuple[rules.DayKind, str]]:
    rows = await session.scalars(select(CalendarException))
    return {row.day: (rules.DayKind(row.kind), row.title) for row in rows}


async def _schedules(session: AsyncSession) -> dict[str, rules.LineHours]:
    found: dict[str, rules.LineHours] = {}
    for row in await session.scalars(select(LineSchedule)):
        try:
            found[row.line] = rules.LineHours(
                rules.parse_clock(row.opens),
                rules.parse_clock(row.closes),
                _parse_workdays(row.workdays),
            )
        except rules.CalendarError:  # a row edited by hand: the default hours
            continue
    return found


async def _queues(session: AsyncSession) -> dict[str, QueueSpec]:
    found: dict[str, QueueSpec] = {}
    for row in await session.scalars(select(QueueSetting)):
        spec = task_rules.QUEUES.get(row.queue)
        if spec is not None and row.deadline_minutes > 0:
            found[row.queue] = replace(
                spec,
                deadline=timedelta(minutes=row.deadline_minutes),
                business_hours=row.business_hours,
            )
    return found


async def refresh(session: AsyncSession) -> None:
    """Read the calendars again and hand the lines' to the chat's SLA clocks."""
    hours = await _schedules(session)
    default, lines = _build(await exceptions(session), hours)
    queues = await _queues(session)
    _copies[:] = [_Copy(default, lines, hours, queues, _time.monotonic())]
    sla.configure_calendars(lines)


async def ensure_fresh(session: AsyncSession, *, max_age: float = MAX_AGE) -> None:
    """:func:`refresh` when this process's copy is older than ``max_age`` seconds."""
    loaded_at = _copies[0].loaded_at if _copies else 0.0
    if loaded_at == 0.0 or _time.monotonic() - loaded_at > max_age:
        await refresh(session)
