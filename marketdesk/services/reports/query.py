"""Building a report: check the caller and the period, tally, shape the table."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.reports import Tally, day_bounds, share
from marketdesk.domain.roles import Role
from marketdesk.domain.tasks import TaskStatus
from marketdesk.store.models import Conversation, Operator, Task, utcnow
from marketdesk.store.sqlite_driver import offloaded_calls

from ..errors import InvalidPeriod, ReportPeriodTooLong, UnknownReport
from ..principals import Principal
from .catalogue import REPORTS, ReportSpec, group_label, metrics
from .facts import ReportFilter, conversation_conditions, moscow_today
from .tallies import GROUPS, tallies

__all__ = ["MAX_PERIOD_DAYS", "build_report", "check_access", "report_spec", "resolve_filter"]

MAX_PERIOD_DAYS: Final = 400
"""The longest period of one report: a year and some."""

_DEFAULT_DAYS: Final = 30
_COMMENTS_LIMIT: Final = 500
_OPEN_TASKS = (TaskStatus.NEW.value, TaskStatus.IN_PROGRESS.value, TaskStatus.WAITING.value)


def check_access(principal: Principal) -> None:
    """Reports are for supervisors (and admins)."""
    principal.require_operator(Role.SUPERVISOR)


def report_spec(name: str) -> ReportSpec:
    spec = REPORTS.get(name)
    if spec is None:
        raise UnknownReport(reports=", ".join(REPORTS), catalogue=list(REPORTS))
    return spec


def resolve_filter(
    date_from: date | None,
    date_to: date | None,
    *,
    line: str | None = None,
    channel: str | None = None,
    operator_id: int | None = None,
    topic: str | None = None,
    now: datetime | None = None,
) -> ReportFilter:
    """The period (default: the last 30 Moscow days up to today) and the filters."""
    last = date_to or moscow_today(now)
    first = date_from or last - timedelta(days=_DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidPeriod()
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ReportPeriodTooLong(days=MAX_PERIOD_DAYS)
    return ReportFilter(first, last, line, channel, operator_id, topic)


def _key(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def _operator_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Operator.id, Operator.full_name).where(Operator.id.in_(ids))
    return {row.id: row.full_name for row in await session.execute(query)}


def _all_keys(spec: ReportSpec, wanted: ReportFilter, found: dict[Any, Tally]) -> list[Any]:
    """Days and hours are shown in full (zeros included); other groups as found."""
    if spec.group == "day":
        count = (wanted.date_to - wanted.date_from).days + 1
        return [wanted.date_from + timedelta(days=i) for i in range(count)]
    if spec.group == "hour":
        return list(range(24))
    if spec.group == "operator":  # people only: what nobody held, the bot solved
        return sorted((k for k in found if k is not None), key=lambda k: (-found[k].resolved, k))
    return sorted(found, key=lambda k: (-found[k].conversations, str(k)))


async def _grouped(
    session: AsyncSession, spec: ReportSpec, wanted: ReportFilter, lines: frozenset[str]
) -> dict[str, Any]:
    found = await tallies(session, wanted, spec.group, lines, spec.parts)
    names: dict[int, str] = {}
    if spec.group == "operator":
        names = await _operator_names(session, [k for k in found if isinstance(k, int)])
    rows = []
    for key in _all_keys(spec, wanted, found):
        values = metrics(found.get(key) or Tally())
        values.update(label=group_label(spec.group, key, names))
        rows.append({"key": _key(key)} | {c.key: values[c.key] for c in spec.columns})
    return {"rows": rows}


async def _overview(
    session: AsyncSession, spec: ReportSpec, wanted: ReportFilter, lines: frozenset[str]
) -> dict[str, Any]:
    found = await tallies(session, wanted, "all", lines, spec.parts)
    values = metrics(found.get(None) or Tally())
    figures = {c.key: values[c.key] for c in spec.columns}
    return {"rows": [{"key": None, **figures}], **figures}


async def _ratings(
    session: AsyncSession, spec: ReportSpec, wanted: ReportFilter, lines: frozenset[str]
) -> dict[str, Any]:
    total = (await tallies(session, wanted, "all", lines, spec.parts)).get(None) or Tally()
    rows = [
        {
            "key": score,
            "label": f"Оценка {score}",
            "count": total.ratings[score - 1],
            "share": share(total.ratings[score - 1], total.rated),
        }
        for score in range(5, 0, -1)
    ]
    comments = await _comments(session, wanted, 20)
    return {
        "rows": rows,
        "rating_average": total.rating_average,
        "rated": total.rated,
        "comments": comments,
    }


async def _comments(
    session: AsyncSession, wanted: ReportFilter, limit: int
) -> list[dict[str, Any]]:
    start, end = day_bounds(wanted.date_from, wanted.date_to)
    query = (
        select(
            Conversation.id, Conversation.rating, Conversation.rating_comment, Conversation.rated_at
        )
        .where(
            Conversation.created_at >= start,
            Conversation.created_at < end,
            Conversation.rating_comment.is_not(None),
            Conversation.rating_comment != "",
            *conversation_conditions(wanted),
        )
        # newest conversations first: the created_at index is walked backwards and the
        # scan stops at the limit (ordering by rated_at would read the whole period)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    return [
        {
            "key": row.id,
            "conversation_id": row.id,
            "rating": row.rating,
            "comment": row.rating_comment,
            "rated_at": row.rated_at.isoformat() if row.rated_at else None,
        }
        for row in await session.execute(query)
    ]


async def _rating_comments(
    session: AsyncSession, spec: ReportSpec, wanted: ReportFilter, lines: frozenset[str]
) -> dict[str, Any]:
    return {"rows": await _comments(session, wanted, _COMMENTS_LIMIT)}


def _task_conditions(wanted: ReportFilter) -> list[Any]:
    return [] if wanted.operator_id is None else [Task.assignee_id == wanted.operator_id]


async def _tasks(
    session: AsyncSession, spec: ReportSpec, wanted: ReportFilter, lines: frozenset[str]
) -> dict[str, Any]:
    start, end = day_bounds(wanted.date_from, wanted.date_to)
    now = utcnow()
    own = _task_conditions(wanted)
    counts: dict[str, dict[str, int]] = {}
    queries = {
        "created": [Task.created_at >= start, Task.created_at < end],
        "closed": [Task.closed_at >= start, Task.closed_at < end],
        "closed_late": [
            Task.closed_at >= start,
            Task.closed_at < end,
            Task.deadline_at.is_not(None),
            Task.closed_at > Task.deadline_at,
        ],
        "overdue": [Task.status.in_(_OPEN_TASKS), Task.deadline_at < now],
    }
    for column, conditions in queries.items():
        query = select(Task.queue, func.count()).where(and_(*conditions, *own)).group_by(Task.queue)
        for queue, count in await session.execute(query):
            counts.setdefault(queue, {})[column] = int(count)
    rows = [
        {
            "key": queue,
            "label": queue,
            **{c: values.get(c, 0) for c in ("created", "closed", "closed_late", "overdue")},
        }
        for queue, values in sorted(counts.items(), key=lambda kv: -kv[1].get("created", 0))
    ]
    return {"rows": rows}


_BUILDERS = {"all": _overview, "rating": _ratings, "comments": _rating_comments, "queue": _tasks}


@offloaded_calls
async def build_report(
    session: AsyncSession,
    principal: Principal,
    name: str,
    wanted: ReportFilter,
    lines: frozenset[str],
) -> dict[str, Any]:
    """The report ``name`` for the filter: its title, columns and rows (plus the extras of
    some reports: the overview's figures at the top level, the ratings' comments)."""
    check_access(principal)
    spec = report_spec(name)
    builder = _BUILDERS.get(spec.group)
    if builder is None:
        assert spec.group in GROUPS
        builder = _grouped
    body = await builder(session, spec, wanted, lines)
    return {
        "name": spec.name,
        "title": spec.title,
        "chart": spec.chart,
        "from": wanted.date_from.isoformat(),
        "to": wanted.date_to.isoformat(),
        "filters": {
            "line": wanted.line,
            "channel": wanted.channel,
            "operator": wanted.operator_id,
            "topic": wanted.topic,
        },
        "columns": [
            {"key": c.key, "title": c.title, "kind": c.kind, "drill": c.drill} for c in spec.columns
        ],
        **body,
    }


def catalogue() -> list[dict[str, str]]:
    """The reports there are, for the page's menu."""
    return [{"name": s.name, "title": s.title, "chart": s.chart} for s in REPORTS.values()]
