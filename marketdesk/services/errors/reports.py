"""Refusals of the supervisors' reports (``services.reports``)."""

from __future__ import annotations

from .base import InvalidInput, NotFound

__all__ = ["InvalidDrill", "ReportPeriodTooLong", "UnknownReport"]


class UnknownReport(NotFound):
    """``reports``: the names of the catalogue, for the caller to choose from."""

    code = "report_not_found"
    template = "Такого отчёта нет. Доступные отчёты: {reports}."


class ReportPeriodTooLong(InvalidInput):
    code = "report_period_too_long"
    template = "Период отчёта — не больше {days} дней."


class InvalidDrill(InvalidInput):
    code = "invalid_drill"
    template = "Эту цифру отчёта нельзя раскрыть: неизвестный показатель или строка отчёта."
