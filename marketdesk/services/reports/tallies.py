"""Tallies of a report: sums per group, from the materialised facts of closed days (SQL
aggregates, never a scan of transcripts) merged with the live facts of the other days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.reports import Tally
from marketdesk.store.models import ConversationFact, ReportDayTally

from .facts import (
    TALLY_GROUPINGS,
    FactRow,
    ReportFilter,
    fact_conditions,
    live_facts,
    materialised_days,
    moscow_today,
    tally_grouping,
)

__all__ = ["GROUPS", "PARTS", "tallies"]

GroupKey = date | int | str | None

_F = ConversationFact
GROUPS: Final[dict[str, tuple[Any, Callable[[FactRow], GroupKey]] | None]] = {
    "all": None,
    "day": (_F.day, lambda r: r.facts.day),
    "hour": (_F.hour, lambda r: r.facts.hour),
    "line": (_F.line, lambda r: r.line),
    "channel": (_F.channel, lambda r: r.channel),
    "topic": (_F.topic, lambda r: r.topic),
    "operator": (_F.operator_id, lambda r: r.operator_id),
}
"""How a report groups its conversations: the facts' column, and the live row's value."""

PARTS: Final = frozenset({"durations", "ratings"})
"""What a report needs besides the counts: duration histograms, the rating distribution."""


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def _counts(
    session: AsyncSession,
    wanted: ReportFilter,
    done: list[date],
    group: str,
    out: dict[GroupKey, Tally],
) -> None:
    spec = GROUPS[group]
    key_column = [spec[0]] if spec else []
    query = select(
        *key_column,
        func.count(),
        func.sum(_F.handed),
        func.sum(_F.breached),
        func.sum(_F.resolved),
        func.sum(_F.first_response_s),
        func.sum(_F.resolution_s),
        func.sum(_F.handle_s),
        func.count(_F.handle_s),
    ).where(*fact_conditions(wanted), _F.day.in_(done))
    if spec:
        query = query.group_by(spec[0])
    for row in await session.execute(query):
        values = tuple(row)
        key: GroupKey = values[0] if spec else None
        count, handed, breached, resolved, fr_sum, res_sum, handle_sum, handle_n = values[
            1 if spec else 0 :
        ]
        if not count:
            continue
        tally = out[key]
        tally.conversations += int(count)
        tally.handed += int(handed or 0)
        tally.breached += int(breached or 0)
        tally.resolved += int(resolved or 0)
        tally.first_response_sum += float(fr_sum or 0)
        tally.resolution_sum += float(res_sum or 0)
        tally.handle_sum += float(handle_sum or 0)
        tally.handle_count += int(handle_n or 0)


async def _histogram(
    session: AsyncSession,
    wanted: ReportFilter,
    done: list[date],
    group: str,
    column: Any,
    pick: Callable[[Tally], list[int]],
    out: dict[GroupKey, Tally],
    offset: int = 0,
) -> None:
    spec = GROUPS[group]
    key_column = [spec[0]] if spec else []
    query = (
        select(*key_column, column, func.count())
        .where(*fact_conditions(wanted), _F.day.in_(done), column.is_not(None))
        .group_by(*key_column, column)
    )
    for row in await session.execute(query):
        values = tuple(row)
        key: GroupKey = values[0] if spec else None
        bucket, count = values[-2], values[-1]
        pick(out[key])[int(bucket) - offset] += int(count)


def _stored(wanted: ReportFilter, group: str) -> str | None:
    """The stored tallies that answer the filter and grouping, if any: without filters, or
    with one line or one channel only."""
    if wanted.operator_id is not None or wanted.topic is not None:
        return None
    if wanted.line is not None and wanted.channel is not None:
        return None
    grouping = "all" if group == "day" else group
    if grouping not in TALLY_GROUPINGS:
        return None
    return tally_grouping(grouping, line=wanted.line, channel=wanted.channel)


async def _stored_tallies(
    session: AsyncSession, done: list[date], grouping: str, group: str, out: dict[GroupKey, Tally]
) -> None:
    """The days' stored tallies (``report_day_tallies``): a few hundred rows for a year."""
    query = select(ReportDayTally.day, ReportDayTally.data).where(
        ReportDayTally.grouping == grouping, ReportDayTally.day.in_(done)
    )
    for day, data in await session.execute(query):
        for key, stored in data:
            out[day if group == "day" else key].merge(Tally.from_json(stored))


async def tallies(
    session: AsyncSession,
    wanted: ReportFilter,
    group: str,
    lines: frozenset[str],
    parts: frozenset[str] = PARTS,
    now: datetime | None = None,
) -> dict[GroupKey, Tally]:
    """One tally per group value of the conversations the filter selects."""
    out: dict[GroupKey, Tally] = defaultdict(Tally)
    done = await materialised_days(session, wanted.date_from, wanted.date_to)
    # the days read from the facts are exactly those found materialised, so that a day the
    # worker writes meanwhile is counted once (live), never twice
    done_list = sorted(done)
    stored = _stored(wanted, group)
    if done and stored is not None:
        await _stored_tallies(session, done_list, stored, group, out)
    elif done:
        await _counts(session, wanted, done_list, group, out)
        if "durations" in parts:
            await _histogram(
                session,
                wanted,
                done_list,
                group,
                _F.first_response_bucket,
                lambda t: t.first_response_hist,
                out,
            )
            await _histogram(
                session,
                wanted,
                done_list,
                group,
                _F.resolution_bucket,
                lambda t: t.resolution_hist,
                out,
            )
        if "ratings" in parts:
            await _histogram(
                session, wanted, done_list, group, _F.rating, lambda t: t.ratings, out, 1
            )
    today = moscow_today(now)
    missing = [d for d in _days(wanted.date_from, wanted.date_to) if d not in done and d <= today]
    spec = GROUPS[group]
    for row in await live_facts(session, wanted, missing, lines):
        out[spec[1](row) if spec else None].add(row.facts)
    return dict(out)
