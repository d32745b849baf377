"""The facts of conversations: computed live from ``conversations`` (and ``sla_breaches``),
and materialised per closed Moscow day into ``conversation_facts`` by the reports worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import ColumnElement, Table, and_, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.reports import ConversationFacts, Tally, bucket_of, day_bounds
from marketdesk.domain.tasks import MOSCOW_TZ, BusinessHours
from marketdesk.settings import Settings
from marketdesk.store.models import (
    Conversation,
    ConversationFact,
    ReportDay,
    ReportDayTally,
    SlaBreach,
    utcnow,
)
from marketdesk.store.sqlite_driver import offloaded_calls

from ..people import calendar as calendars

__all__ = [
    "TALLY_GROUPINGS",
    "WRITE_CHUNK_ROWS",
    "FactRow",
    "ReportFilter",
    "business_hours_lines",
    "clock_of",
    "conversation_conditions",
    "fact_conditions",
    "live_facts",
    "materialise",
    "materialised_days",
    "moscow_today",
    "tally_grouping",
]


WRITE_CHUNK_ROWS: Final[int] = Settings.model_fields["reports_write_chunk_rows"].default
"""The facts a write transaction of :func:`materialise` holds at most, by default
(``MARKETDESK_REPORTS_WRITE_CHUNK_ROWS``; the seeds give no number: ours)."""


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """A report's period (Moscow dates, both ends included) and its optional filters."""

    date_from: date
    date_to: date
    line: str | None = None
    channel: str | None = None
    operator_id: int | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class FactRow:
    """A conversation's facts with its dimensions."""

    conversation_id: int
    line: str
    channel: str
    topic: str | None
    operator_id: int | None
    facts: ConversationFacts


@lru_cache(maxsize=8)
def _lines(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def business_hours_lines(settings: Settings) -> frozenset[str]:
    """The lines whose times count business hours (``MARKETDESK_REPORTS_BUSINESS_HOURS_LINES``)."""
    return _lines(settings.reports_business_hours_lines)


def clock_of(line: str, lines: frozenset[str]) -> BusinessHours | None:
    """The clock of a line's times: its business hours (the admins' calendar), or None
    (around the clock)."""
    return calendars.current(line) if line in lines else None


def moscow_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(MOSCOW_TZ).date()


def conversation_conditions(wanted: ReportFilter) -> list[ColumnElement[bool]]:
    """The filters as conditions on ``conversations`` (the period not included)."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.line is not None:
        conditions.append(Conversation.line == wanted.line)
    if wanted.channel is not None:
        conditions.append(Conversation.channel == wanted.channel)
    if wanted.operator_id is not None:
        conditions.append(Conversation.assigned_operator_id == wanted.operator_id)
    if wanted.topic is not None:
        conditions.append(Conversation.topic == wanted.topic)
    return conditions


_BREACHED = exists().where(SlaBreach.conversation_id == Conversation.id)


def _columns() -> tuple[Any, ...]:
    return (
        Conversation.id,
        Conversation.line,
        Conversation.channel,
        Conversation.topic,
        Conversation.assigned_operator_id,
        Conversation.created_at,
        Conversation.queued_at,
        Conversation.first_response_at,
        Conversation.resolved_at,
        Conversation.rating,
        _BREACHED.label("breached"),
    )


def _fact_row(row: Any, lines: frozenset[str]) -> FactRow:
    facts = ConversationFacts.of(
        created_at=row.created_at,
        queued_at=row.queued_at,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        rating=row.rating,
        breached=bool(row.breached),
        hours=clock_of(row.line, lines),
    )
    return FactRow(row.id, row.line, row.channel, row.topic, row.assigned_operator_id, facts)


async def live_facts(
    session: AsyncSession, wanted: ReportFilter, days: Sequence[date], lines: frozenset[str]
) -> list[FactRow]:
    """The facts of the conversations created on ``days`` (Moscow), read from the
    conversations themselves: what the reports show for days not yet materialised."""
    if not days:
        return []
    start, end = day_bounds(min(days), max(days))
    query = select(*_columns()).where(
        Conversation.created_at >= start,
        Conversation.created_at < end,
        *conversation_conditions(wanted),
    )
    wanted_days = set(days)
    rows = [_fact_row(row, lines) for row in await session.execute(query)]
    return [row for row in rows if row.facts.day in wanted_days]


async def materialised_days(session: AsyncSession, first: date, last: date) -> set[date]:
    query = select(ReportDay.day).where(ReportDay.day >= first, ReportDay.day <= last)
    return set(await session.scalars(query))


def _record(row: FactRow) -> dict[str, Any]:
    facts = row.facts
    return {
        "conversation_id": row.conversation_id,
        "day": facts.day,
        "hour": facts.hour,
        "line": row.line,
        "channel": row.channel,
        "topic": row.topic,
        "operator_id": row.operator_id,
        "handed": int(facts.handed),
        "breached": int(facts.breached),
        "resolved": int(facts.resolved),
        "first_response_s": facts.first_response_s,
        "first_response_bucket": _bucket(facts.first_response_s),
        "resolution_s": facts.resolution_s,
        "resolution_bucket": _bucket(facts.resolution_s),
        "handle_s": facts.handle_s,
        "rating": facts.rating,
    }


def _table(model: Any) -> Table:
    """A model's table, for plain executemany inserts (the ORM's bulk path is row by row)."""
    table: Table = model.__table__
    return table


def _bucket(seconds: float | None) -> int | None:
    return None if seconds is None else bucket_of(seconds)


async def _count_run(session: AsyncSession, days: list[date], lines: frozenset[str]) -> _Change:
    """The facts of consecutive ``days`` counted now, against what is stored of them: what
    to write (nothing, for a day counted again with nothing changed). Only reads; the
    counting runs in a worker thread, so the event loop keeps serving while a week is
    counted."""
    rows = await live_facts(session, ReportFilter(days[0], days[-1]), days, lines)
    stored = await _stored(session, days)
    return await asyncio.to_thread(_changes, rows, stored, days)


async def _write_change(session: AsyncSession, change: _Change, chunk_rows: int) -> None:
    """``change``: the facts that are gone or about to be written anew deleted (by
    conversation), the facts inserted, then the changed days' tallies and marks. A change of
    at most ``chunk_rows`` facts is one transaction. A larger one (a busy marketplace's first
    round, or a week counted after a long stop) is several, so that no transaction holds
    SQLite's write lock, and every chat message behind it, for long: the changed days'
    marks go first (until they are back the reports count those days live, from the
    conversations: the facts of an unmarked day are never read), then the facts in chunks of
    ``chunk_rows``, then the tallies with the marks. A round that stops half-way leaves its
    days unmarked; the next writes them whole."""
    chunked = len(change.deleted_ids) + len(change.records) > chunk_rows
    if chunked:
        await session.execute(delete(ReportDay).where(ReportDay.day.in_(change.days)))
        await session.commit()
    await _delete_facts(session, change.deleted_ids, chunk_rows if chunked else None)
    records = change.records
    for start in range(0, len(records), chunk_rows):
        await session.execute(insert(_table(ConversationFact)), records[start : start + chunk_rows])
        if chunked:
            await session.commit()
    await session.execute(delete(ReportDayTally).where(ReportDayTally.day.in_(change.days)))
    if change.tallies:
        await session.execute(insert(_table(ReportDayTally)), change.tallies)
    await session.execute(delete(ReportDay).where(ReportDay.day.in_(change.days)))
    computed = utcnow()
    session.add_all(ReportDay(day=day, computed_at=computed) for day in change.days)
    await session.commit()


async def _delete_facts(session: AsyncSession, ids: list[int], commit_every: int | None) -> None:
    """The facts of the conversations ``ids``, 500 to a statement (and a commit after each
    ``commit_every`` of them, if given)."""
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await session.execute(
            delete(ConversationFact).where(ConversationFact.conversation_id.in_(chunk))
        )
        done += len(chunk)
        if commit_every is not None and (done >= commit_every or start + 500 >= len(ids)):
            await session.commit()
            done = 0


@dataclass(frozen=True, slots=True)
class _Stored:
    """What is materialised of some days: the facts by conversation, the tallies by day and
    grouping (as their JSON reads back), the days marked done."""

    records: dict[int, dict[str, Any]]
    tallies: dict[tuple[date, str], Any]
    marked: set[date]


@dataclass(frozen=True, slots=True)
class _Change:
    """What to write: the days whose facts or tallies changed or that were never marked
    (written whole), the conversations whose stored facts go (gone, about to be written
    anew, or left on a day never marked), the facts to insert, and the tallies of the days
    written."""

    days: list[date]
    deleted_ids: list[int]
    records: list[dict[str, Any]]
    tallies: list[dict[str, Any]]


async def _stored(session: AsyncSession, days: list[date]) -> _Stored:
    facts = _table(ConversationFact)
    records = {
        row["conversation_id"]: dict(row)
        for row in (await session.execute(select(facts).where(facts.c.day.in_(days)))).mappings()
    }
    tallies = {
        (row.day, row.grouping): row.data
        for row in await session.execute(
            select(ReportDayTally.day, ReportDayTally.grouping, ReportDayTally.data).where(
                ReportDayTally.day.in_(days)
            )
        )
    }
    return _Stored(records, tallies, await materialised_days(session, days[0], days[-1]))


def _changes(rows: list[FactRow], stored: _Stored, days: list[date]) -> _Change:
    """The differences between the facts counted now (``rows``) and the stored ones."""
    records, tallies = _records_and_tallies(rows)
    fresh = {record["conversation_id"]: record for record in records}
    changed = [record for cid, record in fresh.items() if stored.records.get(cid) != record]
    gone = [cid for cid in stored.records if cid not in fresh]
    unmarked = set(days) - stored.marked
    touched = {record["day"] for record in changed}
    touched |= {stored.records[cid]["day"] for cid in gone}
    touched |= unmarked
    # the other days' tallies, compared as they would read back from their JSON column
    # (tuples become lists); a day already to be written needs no comparison
    counted = {(t["day"], t["grouping"]) for t in tallies}
    for tally in tallies:
        key = (tally["day"], tally["grouping"])
        if key[0] not in touched and stored.tallies.get(key) != json.loads(
            json.dumps(tally["data"])
        ):
            touched.add(key[0])
    touched |= {key[0] for key in stored.tallies if key not in counted}
    return _Change(
        days=sorted(touched),
        # an unmarked day is written whole: facts left from a round that never wrote its
        # mark are deleted, even where they equal the ones counted now; a marked day loses
        # the facts that are gone and those about to be written anew
        deleted_ids=[cid for cid, record in stored.records.items() if record["day"] in unmarked]
        + [cid for cid in gone if stored.records[cid]["day"] not in unmarked]
        + [
            record["conversation_id"]
            for record in changed
            if record["day"] not in unmarked and record["conversation_id"] in stored.records
        ],
        records=[record for record in records if record["day"] in unmarked]
        + [record for record in changed if record["day"] not in unmarked],
        tallies=[tally for tally in tallies if tally["day"] in touched],
    )


def _records_and_tallies(
    rows: list[FactRow],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = [_record(row) for row in rows]
    tallies = [
        {"day": day, "grouping": grouping, "data": data}
        for day, by_grouping in _day_tallies(rows).items()
        for grouping, data in by_grouping.items()
    ]
    return records, tallies


TALLY_GROUPINGS: Final[dict[str, Callable[[FactRow], Any]]] = {
    "all": lambda row: None,
    "hour": lambda row: row.facts.hour,
    "topic": lambda row: row.topic,
    "operator": lambda row: row.operator_id,
}
"""The groupings whose tallies are stored per day (``report_day_tallies``): of all the day's
conversations, and of each line's and each channel's."""


def tally_grouping(grouping: str, line: str | None = None, channel: str | None = None) -> str:
    """The name of stored tallies: a grouping, for all conversations or for one line or one
    channel (``hour|line=seller``)."""
    if line is not None:
        return f"{grouping}|line={line}"
    if channel is not None:
        return f"{grouping}|channel={channel}"
    return grouping


def _day_tallies(rows: list[FactRow]) -> dict[date, dict[str, list[Any]]]:
    found: dict[date, dict[str, dict[Any, Tally]]] = {}
    for row in rows:
        by_grouping = found.setdefault(row.facts.day, {})
        for grouping, key_of in TALLY_GROUPINGS.items():
            key = key_of(row)
            for name in (
                grouping,
                tally_grouping(grouping, line=row.line),
                tally_grouping(grouping, channel=row.channel),
            ):
                by_grouping.setdefault(name, {}).setdefault(key, Tally()).add(row.facts)
    return {
        day: {
            grouping: [[key, tally.to_json()] for key, tally in tallies.items()]
            for grouping, tallies in by_grouping.items()
        }
        for day, by_grouping in found.items()
    }


def _days_to_do(
    first_day: date | None, done: Iterable[date], today: date, refresh: int
) -> list[date]:
    if first_day is None:
        return []
    done_set = set(done)
    fresh_from = today - timedelta(days=refresh)
    days = []
    day = first_day
    while day < today:
        if day not in done_set or day >= fresh_from:
            days.append(day)
        day += timedelta(days=1)
    return days


def _runs(days: list[date], longest: int) -> list[list[date]]:
    """Consecutive days in runs of at most ``longest``."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and len(runs[-1]) < longest and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


@offloaded_calls
async def materialise(
    session: AsyncSession,
    *,
    refresh_days: int,
    lines: frozenset[str],
    now: datetime | None = None,
    days: Sequence[date] | None = None,
    run_days: int = 7,
    chunk_rows: int = WRITE_CHUNK_ROWS,
) -> list[date]:
    """Write the facts of every closed Moscow day not yet materialised, and count the last
    ``refresh_days`` closed days again: counted in runs of up to ``run_days`` consecutive
    days, writing only the days whose facts changed (a day never marked counts as changed;
    a run without one writes nothing), one transaction a run, or several of at most
    ``chunk_rows`` facts each for a larger change (:func:`_write_change`). ``days``: exactly
    these (closed) days instead. Today stays live. Returns the days written."""
    today = moscow_today(now)
    if days is None:
        first = await session.scalar(
            select(Conversation.created_at).order_by(Conversation.created_at).limit(1)
        )
        done = await session.scalars(select(ReportDay.day))
        todo = _days_to_do(
            first.astimezone(MOSCOW_TZ).date() if first else None, list(done), today, refresh_days
        )
        await session.rollback()
    else:
        todo = [day for day in days if day < today]
    written: list[date] = []
    for run in _runs(todo, run_days):
        change = await _count_run(session, run, lines)
        if not change.days:  # a refresh of a quiet run: no write, no write lock
            await session.rollback()
            continue
        try:
            await _write_change(session, change, chunk_rows)
        except IntegrityError:  # another process wrote the same days at the same moment
            await session.rollback()
            continue
        written += change.days
    return written


def fact_conditions(wanted: ReportFilter) -> list[ColumnElement[bool]]:
    """The filter as conditions on ``conversation_facts``, the period included."""
    conditions: list[ColumnElement[bool]] = [
        ConversationFact.day >= wanted.date_from,
        ConversationFact.day <= wanted.date_to,
    ]
    if wanted.line is not None:
        conditions.append(ConversationFact.line == wanted.line)
    if wanted.channel is not None:
        conditions.append(ConversationFact.channel == wanted.channel)
    if wanted.operator_id is not None:
        conditions.append(ConversationFact.operator_id == wanted.operator_id)
    if wanted.topic is not None:
        conditions.append(ConversationFact.topic == wanted.topic)
    return [and_(*conditions)]
