"""The SLA timer: escalates back-office tasks whose deadline has passed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from marketdesk.services.tasks import escalate_overdue
from marketdesk.store.db import Database

__all__ = ["run_sla_timer"]

log = logging.getLogger("marketdesk.sla")


async def run_sla_timer(
    database: Database,
    *,
    interval: float = 60.0,
    on_escalated: Callable[[Sequence[str]], None] | None = None,
) -> None:
    """Run until cancelled. Several server processes may run it: escalation marks each task
    once (rows are locked with SKIP LOCKED on PostgreSQL; SQLite has a single writer).
    ``on_escalated(numbers)``: told of the tasks escalated in a round (the metrics)."""
    while True:
        try:
            async with database.sessions() as session:
                numbers = await escalate_overdue(session)
            if numbers:
                log.warning("escalated overdue tasks: %s", ", ".join(numbers))
                if on_escalated is not None:
                    on_escalated(numbers)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("SLA timer round failed")
        await asyncio.sleep(interval)
