"""Supervisors' reports: ``GET /api/v1/reports`` (the catalogue), ``GET
/api/v1/reports/{name}`` (JSON, ``format=csv`` or ``format=xlsx``), ``GET
/api/v1/reports/{name}/conversations`` (what lies behind a number), and the charting
library of the page (``/console/vendor/plotly.min.js``, served from the installed
``plotly`` package)."""

from __future__ import annotations

import importlib.util
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from marketdesk.domain.channels import Channel
from marketdesk.domain.lines import Line
from marketdesk.services import reports
from marketdesk.services.errors import FileNotFound

from .deps import CurrentOperator, DbSession, settings_of
from .types import BigId

__all__ = ["router"]

router = APIRouter(tags=["reports"])

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

DateFrom = Annotated[date | None, Query(alias="from", description="с даты (МСК), включительно")]
DateTo = Annotated[date | None, Query(alias="to", description="по дату (МСК), включительно")]
LineQ = Annotated[Line | None, Query(description="линия поддержки")]
ChannelQ = Annotated[Channel | None, Query(description="канал")]
OperatorQ = Annotated[BigId | None, Query(alias="operator", description="ID оператора")]
TopicQ = Annotated[str | None, Query(max_length=64, description="тема обращения")]


def _filter(
    date_from: date | None,
    date_to: date | None,
    line: Line | None,
    channel: Channel | None,
    operator: int | None,
    topic: str | None,
) -> reports.ReportFilter:
    return reports.resolve_filter(
        date_from,
        date_to,
        line=line.value if line else None,
        channel=channel.value if channel else None,
        operator_id=operator,
        topic=topic or None,
    )


@router.get("/api/v1/reports")
async def list_reports(operator: CurrentOperator) -> dict[str, Any]:
    """The reports there are (supervisors and admins)."""
    reports.check_access(operator)
    return {"reports": reports.catalogue()}


@router.get(
    "/api/v1/reports/{name}",
    responses={
        200: {"content": {m: {} for m in _MEDIA.values()}, "description": "JSON, CSV, XLSX"}
    },
)
async def get_report(
    request: Request,
    name: str,
    operator: CurrentOperator,
    session: DbSession,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    line: LineQ = None,
    channel: ChannelQ = None,
    operator_id: OperatorQ = None,
    topic: TopicQ = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """A report for a period (default: the last 30 days) and filters: its columns and rows;
    the overview also has ``conversations``, ``first_response_median_s``,
    ``sla_attainment``, ``bot_containment`` and ``rating_average`` at the top level.
    Definitions of the figures: ``marketdesk.domain.reports``."""
    wanted = _filter(date_from, date_to, line, channel, operator_id, topic)
    lines = reports.business_hours_lines(settings_of(request))
    report = await reports.build_report(session, operator, name, wanted, lines)
    if format == "json":
        return report
    body = reports.to_csv(report) if format == "csv" else reports.to_xlsx(report)
    filename = f"{report['name']}_{report['from']}_{report['to']}.{format}"
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/api/v1/reports/{name}/conversations")
async def drill_report(
    name: str,
    operator: CurrentOperator,
    session: DbSession,
    metric: Annotated[str, Query(max_length=40, description="показатель колонки (drill)")],
    key: Annotated[str | None, Query(max_length=64, description="строка отчёта (key)")] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    line: LineQ = None,
    channel: ChannelQ = None,
    operator_id: OperatorQ = None,
    topic: TopicQ = None,
) -> dict[str, Any]:
    """The conversations (the tasks, for the tasks report) behind one number of a report:
    up to 200, newest first, each with the console link that opens it, and the total."""
    wanted = _filter(date_from, date_to, line, channel, operator_id, topic)
    return await reports.drill(session, operator, name, wanted, metric, key)


@lru_cache(maxsize=1)
def _plotly_js() -> Path | None:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


@router.get("/console/vendor/plotly.min.js", include_in_schema=False)
async def plotly_js() -> FileResponse:
    """plotly.js as the installed ``plotly`` package ships it (a dependency in
    ``pyproject.toml``; nothing copied into the repository)."""
    path = _plotly_js()
    if path is None:
        raise FileNotFound()
    return FileResponse(
        path,
        media_type="text/javascript; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400"},
    )
