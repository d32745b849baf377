"""Background work that must run once across all server processes and hosts.

Some loops must not run twice at once: the SLA timers (a breach raised twice would notify
twice), the clean-up, the rating reminders, the report schedule, the IMAP mailbox and
Telegram's ``getUpdates`` (Telegram refuses two pollers). Every server process starts them
under :func:`run_while_leader`, and only the process holding the lease runs them:

- on PostgreSQL the lease is a session-level advisory lock (``pg_try_advisory_lock``) held
  on a connection of its own. A process that dies (even by SIGKILL) loses its connection and
  with it the lock; another process takes it within ``MARKETDESK_LEADER_RETRY_SECONDS``.
- on SQLite there is one server process (``marketdesk serve`` refuses ``--workers`` above 1
  there), which always holds the lease.

The outbox deliveries (notifications, channel replies) are not here: every process takes
part in them, each row claimed by one (``FOR UPDATE SKIP LOCKED``). The knowledge-base
watcher is not either: every process reloads its own in-memory index.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from marketdesk.store.leases import Lease
from marketdesk.workers.stopping import stop_tasks

__all__ = ["LoopFactory", "run_while_leader"]

log = logging.getLogger("marketdesk.workers")

LoopFactory = Callable[[], Coroutine[Any, Any, None]]


async def run_while_leader(lease: Lease, loops: Mapping[str, LoopFactory], *, retry: float) -> None:
    """Until cancelled: take the lease when free (every ``retry`` seconds), run ``loops``
    while it is held, stop them when it is lost. A loop that ends on its own is logged and
    started again."""
    try:
        while True:
            if not loops or not await lease.acquire():
                await asyncio.sleep(retry)
                continue
            log.info("this process leads the background work: %s", ", ".join(loops))
            await _lead(lease, loops, retry=retry)
    finally:
        await lease.release()


async def _lead(lease: Lease, loops: Mapping[str, LoopFactory], *, retry: float) -> None:
    running = {name: asyncio.create_task(start(), name=name) for name, start in loops.items()}
    try:
        while await lease.still_held():
            await asyncio.wait(running.values(), timeout=retry)
            for name, task in list(running.items()):
                if task.done():
                    error = None if task.cancelled() else task.exception()
                    log.error("background loop %s ended; started again", name, exc_info=error)
                    running[name] = asyncio.create_task(loops[name](), name=name)
        log.warning("leader lease lost: the background work stops here")
    finally:
        await stop_tasks(list(running.values()))
