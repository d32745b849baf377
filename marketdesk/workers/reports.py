"""The reports worker: materialises the facts of closed Moscow days
(``services.reports.materialise``), so that a report over a year reads one row per
conversation of ``conversation_facts`` and only today's conversations live."""

from __future__ import annotations

import asyncio
import logging

from marketdesk.services.reports import business_hours_lines, materialise
from marketdesk.settings import Settings
from marketdesk.store.db import Database

__all__ = ["run_reports"]

log = logging.getLogger("marketdesk.reports")


async def run_reports(database: Database, settings: Settings) -> None:
    """Run until cancelled: every ``reports_interval_seconds``, write the closed days not
    yet materialised and count the last ``reports_refresh_days`` again. Several processes
    may run it (a clash skips the run; days it left unmarked are written whole the next round)."""
    lines = business_hours_lines(settings)
    while True:
        try:
            async with database.sessions() as session:
                days = await materialise(
                    session,
                    refresh_days=settings.reports_refresh_days,
                    lines=lines,
                    chunk_rows=settings.reports_write_chunk_rows,
                )
            if days:
                log.info("reports: materialised %d days up to %s", len(days), days[-1])
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("reports round failed")
        await asyncio.sleep(settings.reports_interval_seconds)
