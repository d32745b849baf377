"""Business-hours calendars: Russian public holidays, the admins' exceptions, the hours of a
line, the deadline of a queue.

The public holidays and their transfers (a day off moved from a weekend, a working Saturday)
come from the ``holidays`` library's Russian calendar (the production calendar the government
publishes each year). Admins may correct it day by day: an exception makes a date a day off
(``holiday``) or a working day (``workday``) whatever the library says, e.g. a transfer the
library does not know yet.

The working hours come from the seeds: «Служба поддержки работает с 09:00 до 18:00 по
московскому времени» (seed 001), «в рабочие дни, с 9 до 18:00» (seed 002); a line's hours
and a queue's deadline are configuration an admin may change (the seeds give no figures
for the queues: see :mod:`marketdesk.domain.tasks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Final

import holidays

from .tasks import MOSCOW_TZ, BusinessHours

__all__ = [
    "DAY_KIND_TITLES_RU",
    "DEFAULT_LINE_HOURS",
    "MAX_QUEUE_DEADLINE",
    "MAX_TITLE",
    "WEEKDAY_TITLES_RU",
    "CalendarDay",
    "CalendarError",
    "DayKind",
    "LineHours",
    "QueueDeadline",
    "business_hours",
    "parse_clock",
    "public_holidays",
    "year_days",
    "years_around",
]

MAX_TITLE: Final = 120
MAX_QUEUE_DEADLINE: Final = timedelta(days=60)
"""The longest deadline a queue may get (a sanity bound of the form, not a marketplace rule)."""

WEEKDAY_TITLES_RU: Final = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")


class CalendarError(ValueError):
    """A calendar, hours or deadline that cannot be (the message is Russian)."""


class DayKind(StrEnum):
    """What an exception makes of a date."""

    HOLIDAY = "holiday"  # a day off
    WORKDAY = "workday"  # a working day


DAY_KIND_TITLES_RU: Final = {DayKind.HOLIDAY: "Выходной", DayKind.WORKDAY: "Рабочий день"}


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """A date that is not an ordinary weekday or weekend: ``source`` ``law`` (the public
    calendar) or ``admin`` (an exception)."""

    day: date
    kind: DayKind
    title: str
    source: str


def years_around(today: date, before: int = 2, after: int = 3) -> range:
    """The years a calendar is built for (deadlines are computed some weeks ahead)."""
    return range(today.year - before, today.year + after + 1)


def public_holidays(years: Iterable[int]) -> tuple[dict[date, str], frozenset[date]]:
    """Russia's days off with their Russian names, and its working weekend days."""
    found = holidays.country_holidays("RU", years=list(years), language="ru")
    named = {day: str(name) for day, name in found.items()}
    working = frozenset(getattr(found, "weekend_workdays", ()) or ())
    return named, working


def year_days(year: int, exceptions: Mapping[date, tuple[DayKind, str]]) -> list[CalendarDay]:
    """The year's days off and working weekend days, the exceptions applied, by date."""
    named, working = public_holidays([year])
    days: dict[date, CalendarDay] = {
        day: CalendarDay(day, DayKind.HOLIDAY, name, "law") for day, name in named.items()
    }
    for day in working:
        if day.year == year:
            days[day] = CalendarDay(day, DayKind.WORKDAY, "Рабочий день (перенос)", "law")
    for day, (kind, title) in exceptions.items():
        if day.year == year:
            days[day] = CalendarDay(day, kind, title or DAY_KIND_TITLES_RU[kind], "admin")
    return [days[d] for d in sorted(days)]


@dataclass(frozen=True, slots=True)
class LineHours:
    """When a line works: local wall-clock hours on its weekdays (Moscow time)."""

    opens: time = time(9, 0)
    closes: time = time(18, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise CalendarError("Время начала работы должно быть раньше времени окончания.")
        if not self.workdays or not self.workdays <= frozenset(range(7)):
            raise CalendarError("Выберите хотя бы один рабочий день недели.")


DEFAULT_LINE_HOURS: Final = LineHours()
"""Seeds 001–002: 09:00–18:00 Moscow time on working days."""


def parse_clock(value: str) -> time:
    """«09:00» → 09:00; raises :class:`CalendarError`."""
    try:
        hours, minutes = value.strip().split(":")
        if len(minutes) != 2 or not hours.isdigit() or not minutes.isdigit():
            raise ValueError(value)
        return time(int(hours), int(minutes))
    except ValueError:
        raise CalendarError(f"Время «{value[:8]}» не в формате ЧЧ:ММ.") from None


@dataclass(frozen=True, slots=True)
class QueueDeadline:
    """A queue's deadline: elapsed time, or working time when ``business_hours``."""

    deadline: timedelta
    business_hours: bool

    def __post_init__(self) -> None:
        if not timedelta(minutes=1) <= self.deadline <= MAX_QUEUE_DEADLINE:
            raise CalendarError("Срок очереди — от 1 минуты до 60 суток.")


def business_hours(
    hours: LineHours,
    *,
    years: Iterable[int],
    exceptions: Mapping[date, tuple[DayKind, str]],
) -> BusinessHours:
    """The Moscow business hours of ``hours`` with Russia's public holidays for ``years``
    and the admins' ``exceptions`` over them."""
    named, working = public_holidays(years)
    off = set(named)
    extra = set(working)
    for day, (kind, _title) in exceptions.items():
        if kind is DayKind.HOLIDAY:
            off.add(day)
            extra.discard(day)
        else:
            off.discard(day)
            extra.add(day)
    return BusinessHours(
        MOSCOW_TZ,
        opens=hours.opens,
        closes=hours.closes,
        workdays=hours.workdays,
        holidays=frozenset(off),
        working_days=frozenset(extra),
    )
