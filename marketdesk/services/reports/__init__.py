"""The supervisors' reports (issue 15): the catalogue, the tallies, the drill into the
conversations behind a number, the downloads, and the materialisation of closed days.
Definitions of the metrics: ``domain.reports``."""

from __future__ import annotations

from .catalogue import REPORTS, Column, ReportSpec
from .drill import DRILL_LIMIT, METRICS, drill
from .export import to_csv, to_xlsx
from .facts import ReportFilter, business_hours_lines, materialise, moscow_today
from .query import MAX_PERIOD_DAYS, build_report, catalogue, check_access, resolve_filter

__all__ = [
    "DRILL_LIMIT",
    "MAX_PERIOD_DAYS",
    "METRICS",
    "REPORTS",
    "Column",
    "ReportFilter",
    "ReportSpec",
    "build_report",
    "business_hours_lines",
    "catalogue",
    "check_access",
    "drill",
    "materialise",
    "moscow_today",
    "resolve_filter",
    "to_csv",
    "to_xlsx",
]
