"""Engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns only after the WAL is
on disk, so what the server acknowledged survives a crash of the machine, not only of the
process (PostgreSQL's default, ``synchronous_commit=on``, promises the same).

A SQLite database file is created readable by the server's user only (0600); SQLite gives
its WAL and shared-memory files the database file's mode.

A PostgreSQL connection taken from the pool is pinged only when it has lain unused for
``ping_after_idle`` seconds (as HikariCP's «alive bypass window»): a connection returned a
moment ago was alive a moment ago, and under load a ping on every checkout was a round trip
and about a quarter of a millisecond of the server's CPU on every session. A dead one (the
server restarted, a firewall dropped it) is replaced before use, as with SQLAlchemy's
``pool_pre_ping``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from . import json_codec
from .file_locks import sqlite_file
from .quick_reads import QuickQuery
from .sqlite_driver import connect_inline, run_pragmas
from .transactions import Session
from .wal import NO_AUTOMATIC_CHECKPOINTS, SYNC_LATER, WalCheckpointer

__all__ = [
    "PING_AFTER_IDLE",
    "SQLITE_PRAGMAS",
    "AsyncSession",
    "Database",
    "database_answers",
    "postgres_reads_of",
    "quick_reads_of",
    "read_all",
    "read_first",
    "secure_sqlite_file",
]

# the JSON columns' values, written and read by orjson (``store.json_codec``)
JSON_CODEC: dict[str, Any] = {
    "json_serializer": json_codec.dumps,
    "json_deserializer": json_codec.loads,
}

PING_AFTER_IDLE = 1.0
"""Seconds a pooled PostgreSQL connection may lie unused and still be handed out unpinged."""

_IDLE_SINCE = "marketdesk_idle_since"  # in a pool entry's ``info`` (cleared with the connection)
_DATABASE = "marketdesk.database"  # in each session's ``info``: the Database that made it

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)
"""What every SQLite connection of marketdesk runs first."""

_T = TypeVar("_T")


def _sqlite_pragmas(pragmas: tuple[str, ...], dbapi_connection: Any, _record: Any) -> None:
    run_pragmas(dbapi_connection, pragmas)


def _inline_driver(
    pragmas: tuple[str, ...], _dialect: Any, _record: Any, _args: Any, params: dict[str, Any]
) -> None:
    # SQLAlchemy's aiosqlite dialect connects through ``async_creator_fn`` when given one;
    # the pragmas run in the connection's thread with the connect itself
    params["async_creator_fn"] = partial(connect_inline, pragmas=pragmas)


def _mark_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def secure_sqlite_file(database: str | None) -> None:
    """Create the SQLite file (and tighten an existing one and its WAL/SHM files) as 0600."""
    path = sqlite_file(database)
    if path is None:
        return
    if not path.parent.is_dir():
        return  # SQLite reports the missing folder itself
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):  # missing, or not ours to change
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)


class Database:
    """One engine and its session factory; created once per process."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 20,
        ping_after_idle: float = PING_AFTER_IDLE,
        background_checkpoints: bool = False,
        grouped_syncs: bool = False,
    ) -> None:
        """``background_checkpoints``: a server's SQLite file has its WAL checkpointed in a
        thread instead of in its writers' commits; ``grouped_syncs``: the commits of its
        sessions are synced to disk by a thread of their own, many at once, after their
        writer gave the write lock back (``store.wal``). Neither has an effect on PostgreSQL
        or on a database without a file."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.pragmas: tuple[str, ...] = SQLITE_PRAGMAS
        self.checkpointer: WalCheckpointer | None = None
        # statement parameters (what customers typed, phone numbers) stay out of error
        # messages and tracebacks, which end up in the server's log
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, **JSON_CODEC}
        if self.is_sqlite:
            path = make_url(url).database
            secure_sqlite_file(path)
            file = sqlite_file(path)
            if background_checkpoints and file is not None:
                self.pragmas = (*SQLITE_PRAGMAS, NO_AUTOMATIC_CHECKPOINTS)
                self.checkpointer = WalCheckpointer(str(file))
                self.checkpointer.start()
            # the sessions' connections (the writer thread of ``run_sync`` keeps syncing
            # its own commits: nobody waits for a ticket there)
            session_pragmas = self.pragmas
            if grouped_syncs and file is not None:
                session_pragmas = (*self.pragmas, SYNC_LATER)
            # every reader holds a connection (and aiosqlite's thread) only for a moment.
            # A connection opened in a burst is kept, not closed when the burst is over:
            # a SQLite connection is a file handle and a thread, and opening one under load
            # cost 0.1–0.7 s of waiting (its thread's hand-offs queue behind the busy event
            # loop) — with 16 clients, beyond the pool's size, one request in twenty
            kwargs.update(pool_size=pool_size + max_overflow, max_overflow=0)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(
                self.engine.sync_engine, "do_connect", partial(_inline_driver, session_pragmas)
            )
        else:
            self.ping_after_idle = ping_after_idle
            self.pings = 0  # how many checkouts pinged (monitoring and tests)
            pool = self.engine.sync_engine.pool
            event.listen(pool, "checkin", _mark_idle)
            event.listen(pool, "checkout", self._ping_if_idle)
        self.sessions = async_sessionmaker(
            self.engine, class_=Session, expire_on_commit=False, info={_DATABASE: self}
        )
        self._quick_file = sqlite_file(make_url(url).database) if self.is_sqlite else None
        self._quick = threading.local()
        self._quick_opened: list[sqlite3.Connection] = []
        self._writer_engine: Engine | None = None
        self._writer_thread: ThreadPoolExecutor | None = None

    def _ping_if_idle(
        self,
        dbapi_connection: Any,
        record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        """Checkout: ping a connection that lay unused too long; a dead one is replaced (the
        pool retries the checkout on ``DisconnectionError``). A new one is not pinged."""
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < self.ping_after_idle:
            return
        self.pings += 1
        dialect = self.engine.sync_engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def run_sync(self, work: Callable[[Connection], _T]) -> _T:
        """``work(connection)`` with a synchronous connection (``work`` begins and ends its
        transactions). On a SQLite file it runs in a writer thread of its own with a plain
        driver connection: one hand-off for the whole of ``work`` instead of one per
        statement. Otherwise through the async engine (``AsyncConnection.run_sync``)."""
        if self.is_sqlite and self.engine.url.database not in (None, "", ":memory:"):
            if self._writer_engine is None:
                self._writer_engine = create_engine(
                    self.engine.url.set(drivername="sqlite+pysqlite"),
                    pool_size=1,
                    max_overflow=0,
                    hide_parameters=True,
                    **JSON_CODEC,
                )
                event.listen(self._writer_engine, "connect", partial(_sqlite_pragmas, self.pragmas))
                self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
            engine = self._writer_engine

            def call() -> _T:
                with engine.connect() as connection:
                    return work(connection)

            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer_thread, call)
        async with self.engine.connect() as connection:
            return await connection.run_sync(work)

    def quick_reads(self) -> sqlite3.Connection | None:
        """On a SQLite file: a plain driver connection of the calling thread, read-only and
        in autocommit (no transaction is left open to hold the WAL back), for a short read
        that must cost next to nothing: about 6 µs a statement here, against about 0.2 ms
        through the engine's pool. In WAL mode a read never waits for a writer. None on
        PostgreSQL and in memory: the caller reads through the engine."""
        if self._quick_file is None:
            return None
        connection: sqlite3.Connection | None = getattr(self._quick, "connection", None)
        if connection is None:
            # closed by ``dispose`` from another thread; used only by the thread that made it
            connection = sqlite3.connect(
                self._quick_file, isolation_level=None, check_same_thread=False
            )
            try:
                run_pragmas(connection, ("PRAGMA busy_timeout=10000", "PRAGMA query_only=1"))
            except sqlite3.Error:
                connection.close()
                raise
            self._quick.connection = connection
            self._quick_opened.append(connection)
        return connection

    def quick_reads_for(self, session: AsyncSession) -> tuple[sqlite3.Connection, Dialect] | None:
        """:meth:`quick_reads` with the engine's dialect, for a read that ``session`` would
        have made, where it need not be made in the session: on a SQLite file, while the
        session has no transaction (a read of another connection does not see what the
        session wrote and has not committed). None otherwise."""
        if self._quick_file is None or session.in_transaction():
            return None
        try:
            connection = self.quick_reads()
        except sqlite3.Error:  # the file cannot be opened: the engine says so in its terms
            return None
        return None if connection is None else (connection, self.engine.dialect)

    async def dispose(self) -> None:
        for connection in self._quick_opened:
            connection.close()
        self._quick_opened.clear()
        self._quick = threading.local()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)
        await self.engine.dispose()
        if self._writer_thread is not None:
            self._writer_thread.shutdown(wait=True)
            self._writer_thread = None
        if self._writer_engine is not None:
            with contextlib.suppress(Exception):
                self._writer_engine.dispose()
            self._writer_engine = None


async def database_answers(session: AsyncSession) -> bool:
    """Whether the database answers a trivial query (liveness and readiness)."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # whatever the reason, it does not answer
        return False
    return True


def quick_reads_of(session: AsyncSession) -> tuple[sqlite3.Connection, Dialect] | None:
    """:meth:`Database.quick_reads_for` of the database that made ``session`` (None for a
    session made otherwise)."""
    database = session.sync_session.info.get(_DATABASE)
    return database.quick_reads_for(session) if isinstance(database, Database) else None


async def postgres_reads_of(session: AsyncSession) -> tuple[Any, Dialect] | None:
    """On PostgreSQL: the asyncpg connection of ``session`` (checked out now if the session
    has none yet) and the engine's dialect, for a :class:`.quick_reads.QuickQuery` made on
    it directly. Before the session's first statement there is no transaction at the server
    (SQLAlchemy begins it lazily), so the read runs on its own and the session's statements
    after it begin theirs as usual; inside a transaction the read is part of it. None on
    SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection, connection.dialect


async def read_all(
    session: AsyncSession, query: QuickQuery, parameters: Mapping[str, Any]
) -> list[Any]:
    """The rows of ``query``, read for ``session`` at the least cost: on a SQLite file
    outside a transaction the file's plain connection (:func:`quick_reads_of`); on
    PostgreSQL the session's asyncpg connection (:func:`postgres_reads_of`: before the
    session's first statement, on its own, no ``BEGIN``; should the driver fail, the
    session's own read says why in the engine's terms); otherwise the session's own read."""
    quick = quick_reads_of(session)
    if quick is not None:
        return query.all(*quick, parameters)
    postgres = await postgres_reads_of(session)
    if postgres is not None:
        import asyncpg  # PostgreSQL's driver: not loaded by a process on SQLite

        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            return await query.fetch_all(*postgres, parameters)
    return list(await session.execute(query.statement, parameters))


async def read_first(
    session: AsyncSession, query: QuickQuery, parameters: Mapping[str, Any]
) -> Any:
    """The first row of ``query`` (or None), as :func:`read_all` reads."""
    rows = await read_all(session, query, parameters)
    return rows[0] if rows else None
