"""«Оценка сервиса»: one reminder to rate, ``MARKETDESK_RATING_REMINDER_HOURS`` after a
conversation was resolved and not rated (``services.ratings.send_reminders``); 0 turns the
reminder off. Several server processes may run it: each conversation is reminded once."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from marketdesk.services.ratings import send_reminders
from marketdesk.store.db import Database

__all__ = ["run_rating_reminders"]

log = logging.getLogger("marketdesk.ratings")


async def run_rating_reminders(database: Database, *, delay_hours: float, interval: float) -> None:
    """Run until cancelled (at once, if the reminder is off)."""
    if delay_hours <= 0:
        return
    delay = timedelta(hours=delay_hours)
    while True:
        try:
            async with database.sessions() as session:
                sent = await send_reminders(session, delay=delay)
            if sent:
                log.info("rating reminders sent: %d", len(sent))
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("rating reminder round failed")
        await asyncio.sleep(interval)
