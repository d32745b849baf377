"""Keeps this process's copy of the business-hours calendar (the admins' exceptions, the
lines' hours, the queues' deadlines: ``services.people.calendar``) fresh: read at start, then
every ``MAX_AGE`` seconds, so that an edit made through another process reaches this one's
deadlines within that."""

from __future__ import annotations

import asyncio
import logging

from marketdesk.services.people import calendar
from marketdesk.store.db import Database

__all__ = ["run_calendar_refresh"]

log = logging.getLogger("marketdesk.calendar")


async def run_calendar_refresh(database: Database, *, interval: float = calendar.MAX_AGE) -> None:
    """Run until cancelled; the first read is at once."""
    while True:
        try:
            async with database.sessions() as session:
                await calendar.refresh(session)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database may be away for a moment: the next round reads it
            log.exception("reading the business-hours calendar failed")
        await asyncio.sleep(interval)
