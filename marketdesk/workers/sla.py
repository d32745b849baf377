"""The SLA timers: back-office tasks whose deadline has passed are escalated; the chat's
service-level clocks are watched (a warning before a clock runs out, a breach after)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from marketdesk.services.chat.events import Publisher
from marketdesk.services.chat.sla_watch import watch_round
from marketdesk.services.task_escalation import escalate_overdue
from marketdesk.store.db import Database

__all__ = ["run_chat_sla_timer", "run_sla_timer"]

log = logging.getLogger("marketdesk.sla")


async def run_sla_timer(
    database: Database,
    *,
    interval: float = 60.0,
    publish: Publisher | None = None,
    on_escalated: Callable[[Sequence[str]], None] | None = None,
) -> None:
    """Run until cancelled. Several server processes may run it: escalation marks each task
    once (rows are locked with SKIP LOCKED on PostgreSQL; SQLite has a single writer), and
    the process that marked it publishes the ``task_escalated`` frame (``publish``: the
    broker's). ``on_escalated(numbers)``: told of the tasks escalated in a round (metrics)."""
    while True:
        try:
            async with database.sessions() as session:
                numbers = await escalate_overdue(session, publish=publish)
            if numbers:
                log.warning("escalated overdue tasks: %s", ", ".join(numbers))
                if on_escalated is not None:
                    on_escalated(numbers)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("SLA timer round failed")
        await asyncio.sleep(interval)


async def run_chat_sla_timer(
    database: Database,
    publish: Publisher,
    *,
    interval: float = 15.0,
    on_breached: Callable[[Sequence[str]], None] | None = None,
) -> None:
    """Run until cancelled: each round warns of the chat's SLA clocks at risk and records the
    ones run out (``services.chat.sla_watch``; once per clock and due time across processes,
    by the unique keys). ``on_breached(kinds)``: told of the breaches of a round (metrics)."""
    while True:
        try:
            async with database.sessions() as session:
                result = await watch_round(session, publish)
            if result.breaches:
                log.warning(
                    "chat SLA breached: %s",
                    ", ".join(f"{cid}/{kind}" for cid, kind in result.breaches),
                )
                if on_breached is not None:
                    on_breached([kind for _, kind in result.breaches])
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("chat SLA timer round failed")
        await asyncio.sleep(interval)
