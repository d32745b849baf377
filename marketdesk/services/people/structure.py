"""Admins edit the structure: the calendar's exceptions, each line's hours, each queue's
deadline. Supervisors read them. Every change is audited and reaches this process's
deadlines at once (:func:`.calendar.refresh`), the other processes' within a minute."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import calendar as rules
from marketdesk.domain import tasks as task_rules
from marketdesk.domain.lines import Line
from marketdesk.domain.roles import Role
from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.store.models import CalendarException, LineSchedule, QueueSetting, utcnow

from .. import audit
from ..errors import CalendarDayNotFound, CalendarInvalid, InvalidLine, UnknownQueue
from ..principals import Principal
from . import calendar

__all__ = [
    "CalendarDayView",
    "CalendarView",
    "LineView",
    "QueueView",
    "calendar_year",
    "lines",
    "queues",
    "remove_exception",
    "set_exception",
    "set_line_hours",
    "set_queue_deadline",
]


class CalendarDayView(BaseModel):
    date: date
    kind: str
    kind_title: str
    title: str
    source: str


class CalendarView(BaseModel):
    year: int
    days: list[CalendarDayView]


class LineView(BaseModel):
    line: str
    title: str
    opens: str
    closes: str
    workdays: list[int]


class QueueView(BaseModel):
    queue: str
    title: str
    deadline_minutes: int
    business_hours: bool
    default_minutes: int
    default_business_hours: bool


def _reader(principal: Principal) -> None:
    principal.require_operator(Role.SUPERVISOR)


def _admin(principal: Principal) -> None:
    principal.require_operator(Role.ADMIN)


def _actor_id(principal: Principal) -> int:
    return int(principal.id)


async def calendar_year(
    session: AsyncSession, principal: Principal, year: int | None = None
) -> CalendarView:
    """The year's days off and working weekend days (public ones and the exceptions); the
    current Moscow year by default."""
    _reader(principal)
    if year is None:
        year = utcnow().astimezone(MOSCOW_TZ).year
    if not 2000 <= year <= 2100:
        raise CalendarInvalid(reason="Год — от 2000 до 2100.")
    days = rules.year_days(year, await calendar.exceptions(session))
    return CalendarView(
        year=year,
        days=[
            CalendarDayView(
                date=d.day,
                kind=d.kind.value,
                kind_title=rules.DAY_KIND_TITLES_RU[d.kind],
                title=d.title,
                source=d.source,
            )
            for d in days
        ],
    )


async def set_exception(
    session: AsyncSession, principal: Principal, day: date, kind: str, title: str
) -> CalendarDayView:
    """Make ``day`` a day off or a working day whatever the public calendar says."""
    _admin(principal)
    try:
        day_kind = rules.DayKind(kind)
    except ValueError:
        raise CalendarInvalid(reason="Тип дня: holiday (выходной) или workday (рабочий).") from None
    title = " ".join(title.split())[: rules.MAX_TITLE]
    row = await session.get(CalendarException, day)
    if row is None:
        row = CalendarException(day=day)
        session.add(row)
    row.kind, row.title = day_kind.value, title
    row.updated_by_id, row.updated_at = _actor_id(principal), utcnow()
    audit.record(
        session,
        principal,
        "calendar.exception_set",
        entity_kind="calendar_day",
        entity_id=day.isoformat(),
        kind=day_kind.value,
        title=title,
    )
    await session.commit()
    await calendar.refresh(session)
    return CalendarDayView(
        date=day,
        kind=day_kind.value,
        kind_title=rules.DAY_KIND_TITLES_RU[day_kind],
        title=title or rules.DAY_KIND_TITLES_RU[day_kind],
        source="admin",
    )


async def remove_exception(session: AsyncSession, principal: Principal, day: date) -> None:
    """Back to the public calendar on ``day``."""
    _admin(principal)
    row = await session.get(CalendarException, day)
    if row is None:
        raise CalendarDayNotFound(day=day.strftime("%d.%m.%Y"))
    await session.delete(row)
    audit.record(
        session,
        principal,
        "calendar.exception_removed",
        entity_kind="calendar_day",
        entity_id=day.isoformat(),
        kind=row.kind,
    )
    await session.commit()
    await calendar.refresh(session)


def _line_view(line: Line) -> LineView:
    hours = calendar.line_hours(line.value)
    return LineView(
        line=line.value,
        title=line.title_ru,
        opens=hours.opens.strftime("%H:%M"),
        closes=hours.closes.strftime("%H:%M"),
        workdays=sorted(hours.workdays),
    )


async def lines(session: AsyncSession, principal: Principal) -> list[LineView]:
    _reader(principal)
    await calendar.refresh(session)
    return [_line_view(line) for line in Line]


async def set_line_hours(
    session: AsyncSession,
    principal: Principal,
    line: str,
    *,
    opens: str,
    closes: str,
    workdays: list[int],
) -> LineView:
    """A line's working hours (its business-hours SLA targets count them)."""
    _admin(principal)
    try:
        known = Line(line)
    except ValueError:
        raise InvalidLine() from None
    try:
        hours = rules.LineHours(
            rules.parse_clock(opens), rules.parse_clock(closes), frozenset(workdays)
        )
    except rules.CalendarError as e:
        raise CalendarInvalid(reason=str(e)) from None
    row = await session.get(LineSchedule, known.value)
    if row is None:
        row = LineSchedule(line=known.value)
        session.add(row)
    row.opens, row.closes = hours.opens.strftime("%H:%M"), hours.closes.strftime("%H:%M")
    row.workdays = calendar.workdays_text(hours.workdays)
    row.updated_by_id, row.updated_at = _actor_id(principal), utcnow()
    audit.record(
        session,
        principal,
        "line.hours_set",
        entity_kind="line",
        entity_id=known.value,
        opens=row.opens,
        closes=row.closes,
        workdays=row.workdays,
    )
    await session.commit()
    await calendar.refresh(session)
    return _line_view(known)


def _queue_view(spec: task_rules.QueueSpec) -> QueueView:
    current = calendar.queue_spec(spec.path)
    return QueueView(
        queue=spec.path,
        title=spec.title_ru,
        deadline_minutes=int(current.deadline.total_seconds() // 60),
        business_hours=current.business_hours,
        default_minutes=int(spec.deadline.total_seconds() // 60),
        default_business_hours=spec.business_hours,
    )


async def queues(session: AsyncSession, principal: Principal) -> list[QueueView]:
    _reader(principal)
    await calendar.refresh(session)
    return [_queue_view(spec) for spec in task_rules.QUEUES.values()]


async def set_queue_deadline(
    session: AsyncSession,
    principal: Principal,
    queue: str,
    *,
    deadline_minutes: int,
    business_hours: bool,
) -> QueueView:
    """A queue's deadline for the tasks created from now on (open ones keep theirs)."""
    _admin(principal)
    spec = task_rules.QUEUES.get(queue)
    if spec is None:
        raise UnknownQueue(queue=queue[:200], known="; ".join(task_rules.QUEUES))
    try:
        rules.QueueDeadline(timedelta(minutes=deadline_minutes), business_hours)
    except rules.CalendarError as e:
        raise CalendarInvalid(reason=str(e)) from None
    row = await session.get(QueueSetting, spec.path)
    if row is None:
        row = QueueSetting(queue=spec.path)
        session.add(row)
    row.deadline_minutes, row.business_hours = deadline_minutes, business_hours
    row.updated_by_id, row.updated_at = _actor_id(principal), utcnow()
    audit.record(
        session,
        principal,
        "queue.deadline_set",
        entity_kind="queue",
        entity_id=spec.path,
        deadline_minutes=deadline_minutes,
        business_hours=business_hours,
    )
    await session.commit()
    await calendar.refresh(session)
    return _queue_view(spec)
