"""A report as a download: CSV (UTF-8 with BOM, for spreadsheet programs) or XLSX
(openpyxl). The header row is the columns' Russian titles; the numbers are the page's."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

__all__ = ["to_csv", "to_xlsx"]


def _table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    columns = report["columns"]
    header = [c["title"] or "Строка" for c in columns]
    rows = [[row.get(c["key"]) for c in columns] for row in report["rows"]]
    return header, rows


def to_csv(report: dict[str, Any]) -> bytes:
    header, rows = _table(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: dict[str, Any]) -> bytes:
    header, rows = _table(report)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=report["name"][:31])
    sheet.append([f"{report['title']}: {report['from']} — {report['to']}"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
