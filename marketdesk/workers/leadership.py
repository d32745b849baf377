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
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from marketdesk.workers.stopping import stop_tasks

__all__ = [
    "LEADER_LOCK_KEY",
    "AdvisoryLease",
    "Lease",
    "LoopFactory",
    "SoleProcessLease",
    "lease_for",
    "run_while_leader",
]

log = logging.getLogger("marketdesk.workers")

LEADER_LOCK_KEY = 0x6D6B_6465_736B_0001
"""The advisory lock's key ("mkdesk" and 1); distinct from the migration and assignment
locks (``store.migrate``, ``services.chat.assignment``)."""

LoopFactory = Callable[[], Coroutine[Any, Any, None]]


class Lease(Protocol):
    async def acquire(self) -> bool:
        """Try once to take the lease (True when this process holds it now)."""
        ...

    async def still_held(self) -> bool:
        """Whether the lease taken is still this process's."""
        ...

    async def release(self) -> None: ...


class SoleProcessLease:
    """SQLite: the one server process always leads."""

    async def acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLease:
    """PostgreSQL: a session-level advisory lock on a connection kept for it."""

    def __init__(self, engine: AsyncEngine, key: int = LEADER_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        try:
            if self._connection is None:
                connection = await self.engine.connect()
                # autocommit: the lock outlives statements, and no transaction stays open
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            held = await self._connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
        except Exception as error:  # the database away: try again at the next tick
            log.warning("leader lease: cannot reach the database (%s)", error)
            await self._drop()
            return False
        return bool(held)

    async def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            # the lock lives as long as this connection: a live connection keeps it
            await self._connection.scalar(text("SELECT 1"))
        except Exception as error:
            log.warning("leader lease lost with its connection (%s)", error)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.scalar(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                )
            except Exception as error:  # its connection gone: so is the lock
                log.debug("leader lease: unlock failed (%s)", error)
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception as error:
                log.debug("leader lease: closing its connection failed (%s)", error)


def lease_for(engine: AsyncEngine) -> Lease:
    """The lease of the database behind ``engine``."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine)
    return SoleProcessLease()


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
