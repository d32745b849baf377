"""The reports' catalogue: names, Russian titles, columns, and how each row is made.

Every report is a table (``columns`` and ``rows``), which is what the page draws, what the
CSV and XLSX downloads hold, and what a click drills into: a column's ``drill`` names the
conversations behind its number (``services.reports.drill``), for the row's ``key``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Final, Literal

from marketdesk.domain.channels import CHANNEL_TITLES_RU, Channel
from marketdesk.domain.lines import LINE_TITLES_RU, Line
from marketdesk.domain.reports import Tally

__all__ = ["REPORTS", "Column", "ReportSpec", "group_label", "metrics"]

Kind = Literal["text", "int", "share", "seconds", "number"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: Kind = "int"
    drill: str | None = None  # the metric of ``drill.METRICS`` behind the number


@dataclass(frozen=True, slots=True)
class ReportSpec:
    name: str
    title: str
    group: str  # tallies.GROUPS, or "rating" / "comments" / "queue" for the special ones
    columns: tuple[Column, ...]
    parts: frozenset[str] = frozenset()
    chart: str = "bar"  # how the page draws it: bar, line, table


_LABEL = Column("label", "", "text")
_CONV = Column("conversations", "Диалогов", "int", "all")
_HANDED = Column("handed", "Передано людям", "int", "handed")
_CONTAINED = Column("contained", "Решено ботом", "int", "contained")
_FR_MED = Column(
    "first_response_median_s", "Первый ответ, медиана (с)", "seconds", "first_response"
)
_FR_P90 = Column("first_response_p90_s", "Первый ответ, 90% (с)", "seconds", "first_response")
_RES_MED = Column("resolution_median_s", "Решение, медиана (с)", "seconds", "resolved_handed")
_RES_P90 = Column("resolution_p90_s", "Решение, 90% (с)", "seconds", "resolved_handed")
_SLA = Column("sla_attainment", "Соблюдение SLA", "share", "attained")
_BREACHED = Column("breached", "С нарушением SLA", "int", "breached")
_CONTAINMENT = Column("bot_containment", "Доля бота", "share", "contained")
_HANDOFF = Column("handoff_rate", "Доля передач людям", "share", "handed")
_RATING = Column("rating_average", "Средняя оценка", "number", "rated")
_RATED = Column("rated", "Оценок", "int", "rated")

_DURATIONS = frozenset({"durations"})
_RATINGS = frozenset({"ratings"})

_SPECS = (
    ReportSpec(
        "overview",
        "Сводка",
        "all",
        (_CONV, _HANDED, _CONTAINMENT, _FR_MED, _FR_P90, _RES_MED, _RES_P90, _SLA, _RATING, _RATED),
        _DURATIONS | _RATINGS,
        "table",
    ),
    ReportSpec("volume_by_day", "Обращения по дням", "day", (_LABEL, _CONV, _HANDED, _CONTAINED)),
    ReportSpec(
        "volume_by_hour", "Обращения по часам (МСК)", "hour", (_LABEL, _CONV, _HANDED, _CONTAINED)
    ),
    ReportSpec(
        "response_times",
        "Время первого ответа и решения",
        "day",
        (_LABEL, _FR_MED, _FR_P90, _RES_MED, _RES_P90, _HANDED),
        _DURATIONS,
        "line",
    ),
    ReportSpec(
        "sla", "Соблюдение SLA по дням", "day", (_LABEL, _HANDED, _BREACHED, _SLA), chart="line"
    ),
    ReportSpec(
        "containment",
        "Бот и передачи людям по темам",
        "topic",
        (_LABEL, _CONV, _CONTAINED, _HANDED, _CONTAINMENT, _HANDOFF),
    ),
    ReportSpec(
        "ratings",
        "Оценки сервиса",
        "rating",
        (_LABEL, Column("count", "Оценок", "int", "rating"), Column("share", "Доля", "share")),
        _RATINGS,
    ),
    ReportSpec(
        "rating_comments",
        "Комментарии к оценкам",
        "comments",
        (
            Column("conversation_id", "Диалог", "int", "conversation"),
            Column("rating", "Оценка", "int"),
            Column("comment", "Комментарий", "text"),
            Column("rated_at", "Когда", "text"),
        ),
        chart="table",
    ),
    ReportSpec(
        "operators",
        "Операторы",
        "operator",
        (
            _LABEL,
            Column("handled", "Решено диалогов", "int", "resolved"),
            Column("handle_average_s", "Время работы, среднее (с)", "seconds", "resolved"),
            _RATING,
            _RATED,
        ),
        _RATINGS,
    ),
    ReportSpec(
        "tasks",
        "Задачи по очередям",
        "queue",
        (
            _LABEL,
            Column("created", "Создано", "int", "created"),
            Column("closed", "Закрыто", "int", "closed"),
            Column("closed_late", "Закрыто после срока", "int", "closed_late"),
            Column("overdue", "Просрочено сейчас", "int", "overdue"),
        ),
    ),
)

REPORTS: Final[Mapping[str, ReportSpec]] = MappingProxyType({s.name: s for s in _SPECS})


def metrics(tally: Tally) -> dict[str, Any]:
    """Every figure of a tally, by the names the columns use (``domain.reports``)."""
    return {
        "conversations": tally.conversations,
        "handed": tally.handed,
        "contained": tally.contained,
        "bot_containment": tally.bot_containment,
        "handoff_rate": tally.handoff_rate,
        "breached": tally.breached,
        "sla_attainment": tally.sla_attainment,
        "first_response_median_s": tally.first_response(0.5),
        "first_response_p90_s": tally.first_response(0.9),
        "resolution_median_s": tally.resolution(0.5),
        "resolution_p90_s": tally.resolution(0.9),
        "resolved": tally.resolved,
        "handled": tally.resolved,
        "handle_average_s": tally.handle_average,
        "rated": tally.rated,
        "rating_average": tally.rating_average,
    }


def group_label(group: str, key: Any, names: Mapping[int, str]) -> str:
    """What a row of a group is called on the page."""
    if key is None:
        return {"topic": "Без темы", "operator": "Не назначен"}.get(group, "Всего")
    if group == "day" and isinstance(key, date):
        return key.strftime("%d.%m.%Y")
    if group == "hour":
        return f"{int(key):02d}:00"
    if group == "line" and key in Line.__members__.values():
        return LINE_TITLES_RU[Line(key)]
    if group == "channel" and key in Channel.__members__.values():
        return CHANNEL_TITLES_RU[Channel(key)]
    if group == "operator":
        return names.get(int(key), f"Оператор {key}")
    return str(key)
