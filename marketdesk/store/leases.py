"""The leader lease of the work that runs once across server processes (used by
``workers.leadership``): on PostgreSQL a session-level advisory lock on a connection of its
own, which a dead process's connection takes with it; on a SQLite file the lock of a file
beside it (``<database>-leader``), which the kernel takes from a dead process; a database
without a file has one process, which leads."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .file_locks import lock_file_path, try_lock_file

__all__ = [
    "LEADER_LOCK_KEY",
    "AdvisoryLease",
    "FileLease",
    "Lease",
    "SoleProcessLease",
    "lease_for",
]

log = logging.getLogger("marketdesk.workers")

LEADER_LOCK_KEY = 0x6D6B_6465_736B_0001
"""The advisory lock's key ("mkdesk" and 1); distinct from the migration and assignment
locks (``store.migrate``, ``services.chat.assignment``)."""


class Lease(Protocol):
    async def acquire(self) -> bool:
        """Try once to take the lease (True when this process holds it now)."""
        ...

    async def still_held(self) -> bool:
        """Whether the lease taken is still this process's."""
        ...

    async def release(self) -> None: ...


class SoleProcessLease:
    """A SQLite database without a file (in memory): its one process always leads."""

    async def acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class FileLease:
    """A SQLite file: the exclusive ``flock`` of ``path`` (``store.file_locks``), held by
    this process from the moment it is taken until it is released or the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is None:
            try:
                self._fd = try_lock_file(self.path)
            except OSError as error:  # the folder gone or not ours: try again at the next tick
                log.warning("leader lease: cannot open %s (%s)", self.path, error)
                return False
        return self._fd is not None

    async def still_held(self) -> bool:
        return self._fd is not None  # nobody takes a lock from a live holder

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor lets the lock go


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
    path = lock_file_path(engine.url.database, "leader")
    return FileLease(path) if path is not None else SoleProcessLease()
