"""SQLite's driver calls in the event loop's thread, where they cannot wait.

aiosqlite runs every call of a connection (each statement, each fetch, each cursor) in a
thread of its own and hands the result back through the event loop: two thread hand-offs per
call. Under load that hand-off (``SimpleQueue.put_nowait``, the loop's wake-up, the GIL passed
back and forth) cost more than the statements themselves (bench/README.md, «Every write path
and the card reads»): a customer's card was about ten calls.

Most calls cannot wait on anything, so :class:`InlineConnection` runs them directly in the
event loop's thread:

- a read in WAL mode never waits for a writer (it reads its snapshot);
- a write inside a transaction that already holds SQLite's write lock does not wait either.

What can wait goes to the connection's thread, as before, so the event loop never sleeps in
SQLite's busy handler or in ``fsync``:

- the statement that would begin a write transaction (the first ``INSERT``/``UPDATE``/
  ``DELETE`` of a transaction, or any statement but a ``SELECT`` outside a transaction): it
  takes SQLite's write lock, which another process (the CLI, an import) may hold. The
  server's own writers take turns under the process's write lock
  (``store.transactions``), so that lock is almost always free: a first ``INSERT``/
  ``UPDATE``/``DELETE``/``REPLACE`` is tried in the loop's thread with SQLite's busy
  timeout at zero, and only when another process holds the lock (``SQLITE_BUSY`` at once,
  nothing written) does it go to the connection's thread to wait with the full timeout;
- the ``COMMIT`` of a transaction that wrote, which writes the WAL to disk
  (``synchronous=FULL``), when the database's commits have been slow (:class:`CommitTimes`:
  over :data:`COMMITS_TO_THREAD_ABOVE` on average); while they are fast it runs in the
  loop's thread, since the hand-off cost more than the ``fsync``, and the write lock was
  held all the while. A commit with nothing open does nothing and stays in the loop;
- every call made inside :func:`offloaded` — long reads (the reports over a year, exports,
  backups) that would stall every socket of the process while they run.

A connection's calls never overlap, and keep their order: while a call handed to the
connection's thread has not finished, the calls after it go to the thread too, behind it.
That matters when the task that awaited it is cancelled (a client gone, a timeout): the
thread still runs the call, and the rollback that SQLAlchemy then issues must come after it —
run at once in the loop's thread, it would end nothing, and the write that began in the
thread afterwards would keep SQLite's write lock on a connection back in the pool. Otherwise
SQLAlchemy's adapter awaits each call under a mutex per connection, so running some calls in
the loop's thread and others in the connection's thread is the ``check_same_thread=False``
use sqlite3 allows."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import aiosqlite

from .wal import SYNC_LATER, WalSyncer, wal_syncer

__all__ = [
    "COMMITS_TO_THREAD_ABOVE",
    "COMMIT_PROBE_EVERY",
    "INLINE_COMMIT_BELOW",
    "CommitTimes",
    "InlineConnection",
    "commit_times",
    "connect_inline",
    "is_offloaded",
    "offloaded",
    "offloaded_calls",
    "plain_write",
    "run_pragmas",
    "syncs_owed",
    "wait_for_syncs",
]

_offloaded: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "marketdesk_sqlite_offloaded", default=False
)


@contextlib.contextmanager
def offloaded() -> Iterator[None]:
    """Run SQLite's driver calls of the block in the connections' own threads (long reads
    that must not hold up the event loop). No effect on PostgreSQL."""
    token = _offloaded.set(True)
    try:
        yield
    finally:
        _offloaded.reset(token)


def is_offloaded() -> bool:
    """Whether this context's SQLite calls run in the connections' threads."""
    return _offloaded.get()


_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])


def offloaded_calls(function: _F) -> _F:
    """Decorate a coroutine function whose SQLite calls run :func:`offloaded`."""

    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        with offloaded():
            return await function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


_owed: contextvars.ContextVar[list[tuple[WalSyncer, int]] | None] = contextvars.ContextVar(
    "marketdesk_sqlite_syncs_owed", default=None
)


@contextlib.contextmanager
def syncs_owed() -> Iterator[list[tuple[WalSyncer, int]]]:
    """Collect the WAL syncs that the commits of the block owe (connections that commit
    without syncing, ``store.wal.WalSyncer``) instead of waiting for each in its commit: the
    caller gives the write lock back first, then awaits :func:`wait_for_syncs`."""
    owed: list[tuple[WalSyncer, int]] = []
    token = _owed.set(owed)
    try:
        yield owed
    finally:
        _owed.reset(token)


async def wait_for_syncs(owed: list[tuple[WalSyncer, int]]) -> None:
    """Until the commits of :func:`syncs_owed` are on disk."""
    for syncer, ticket in owed:
        await syncer.wait(ticket)


def _reads(sql: object) -> bool:
    return isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT"


_PLAIN_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def plain_write(sql: object) -> bool:
    """A plain DML statement (``INSERT``, ``UPDATE``, ``DELETE``, ``REPLACE``): sqlite3 begins
    a transaction before it, so it writes nothing to disk by itself (its commit does)."""
    return isinstance(sql, str) and sql.lstrip()[:7].upper().startswith(_PLAIN_WRITES)


_LOOP, _TRY, _THREAD = "loop", "try", "thread"

COMMITS_TO_THREAD_ABOVE = 0.002
"""Seconds: when a database's commits, timed in the event loop's thread, take more than this
on average, they go to the connections' threads (see :class:`CommitTimes`)."""

INLINE_COMMIT_BELOW = 0.001
"""Seconds: commits handed to the threads come back to the event loop's thread when a probe
(:data:`COMMIT_PROBE_EVERY`) finds them this fast on average again."""

COMMIT_PROBE_EVERY = 32
"""While commits run in the threads, every this many-th one runs (and is timed) in the event
loop's thread: the only place its own time can be measured."""


class CommitTimes:
    """How long the commits of one database file take, and so where they run.

    A commit that wrote waits for ``fsync``. Where the disk answers in well under a
    millisecond (0.15–0.5 ms on the machine of bench/README.md), running it in the event
    loop's thread costs the loop less than handing it to the connection's thread: under load
    the hand-off (two thread switches, and the thread's wait for the GIL of the busy loop to
    hand the result back, all while the write lock is held and every other writer waits)
    cost 0.4 ms of throughput a request more than the ``fsync`` it spared the loop (task
    creation at 16 clients: 435 against 522 a second).

    So commits run in the loop's thread, and each is timed there (an exponential average of
    about the last sixteen). When a slow disk (or a checkpoint's ``fsync`` beside it) takes
    the average over :data:`COMMITS_TO_THREAD_ABOVE`, commits go to the threads; a commit
    timed in a thread also counts the wait for the GIL, so the way back is measured by a probe
    in the loop's thread every :data:`COMMIT_PROBE_EVERY` commits, until the average is under
    :data:`INLINE_COMMIT_BELOW` again. The gap between the two thresholds keeps a disk at
    the edge from switching back and forth."""

    def __init__(self) -> None:
        self.average: float | None = None  # None: nothing measured yet
        self.in_loop = True
        self._since_probe = 0

    def inline(self) -> bool:
        """Whether the next commit that wrote runs in the event loop's thread."""
        if self.in_loop:
            return True
        self._since_probe += 1
        if self._since_probe >= COMMIT_PROBE_EVERY:
            self._since_probe = 0
            return True
        return False

    def add(self, seconds: float) -> None:
        """A commit timed in the event loop's thread took ``seconds``."""
        average = self.average
        average = self.average = seconds if average is None else average + (seconds - average) / 16
        if self.in_loop and average > COMMITS_TO_THREAD_ABOVE:
            self.in_loop = False
            self._since_probe = 0
        elif not self.in_loop and average < INLINE_COMMIT_BELOW:
            self.in_loop = True


_commit_times: dict[str, CommitTimes] = {}


def commit_times(database: str) -> CommitTimes:
    """The :class:`CommitTimes` of a database file, shared by its connections."""
    times = _commit_times.get(database)
    if times is None:
        times = _commit_times[database] = CommitTimes()
    return times


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls that cannot wait run in the calling thread (see
    the module's text)."""

    _thread_idle: threading.Event | None = None
    """Set when the last call handed to the connection's thread has finished."""

    _busy_timeout_ms: int | None = None
    """The connection's busy timeout, put back after a write tried without waiting."""

    _commits: CommitTimes = CommitTimes()
    """The commit times of the connection's database (set at connect)."""

    _syncer: WalSyncer | None = None
    """Who syncs the connection's commits (``synchronous=NORMAL``), or None: each commit
    syncs itself."""

    def _where(self, function: Callable[..., Any], args: tuple[Any, ...]) -> str:
        """Where a call runs: ``loop`` (it cannot wait), ``try`` (a first write: in the loop
        without waiting, else in the thread) or ``thread``."""
        connection = self._connection
        if connection is None or _offloaded.get():
            return _THREAD
        if self._thread_idle is not None and not self._thread_idle.is_set():
            return _THREAD  # behind a call still running in the thread, in order
        in_transaction: bool = connection.in_transaction
        owner = getattr(function, "__self__", None)
        if owner is connection:  # the connection's own methods: commit, rollback, cursor …
            name = getattr(function, "__name__", "")
            if name == "commit":  # with no transaction open, sqlite3's commit does nothing
                return _LOOP if not in_transaction or self._commits.inline() else _THREAD
            # a cursor, a rollback and registering a function (the dialect's ``regexp``
            # and ``floor`` at connect) do not touch the file's locks
            return _LOOP if name in ("cursor", "rollback", "create_function") else _THREAD
        if isinstance(owner, sqlite3.Cursor):
            name = getattr(function, "__name__", "")
            if name in ("execute", "executemany"):
                # inside a write transaction nothing waits; outside one a SELECT cannot
                # begin one, and a plain write begins one that may have to wait
                if in_transaction:
                    return _LOOP
                sql = args[0] if args else None
                if _reads(sql):
                    return _LOOP
                # (in autocommit mode a write would commit, and sync, by itself)
                implicit_begin = connection.isolation_level is not None
                return _TRY if implicit_begin and plain_write(sql) else _THREAD
            # an ``executescript`` commits first; fetches and close never wait
            return _THREAD if name == "executescript" else _LOOP
        return _THREAD

    def _without_waiting(
        self, connection: sqlite3.Connection, fn: Callable[..., Any], args: Any, kwargs: Any
    ) -> tuple[bool, Any]:
        """``fn`` in this thread with SQLite's busy timeout at zero: (True, its result), or
        (False, None) when another connection holds the write lock (nothing was written)."""
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout=0").close()
        try:
            return True, fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
                return False, None
            raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}").close()

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if not self._running or not connection:
            raise ValueError("Connection closed")
        where = self._where(fn, args)
        wrote = connection.in_transaction and getattr(fn, "__name__", "") == "commit"
        if where == _LOOP:
            if not wrote:
                return fn(*args, **kwargs)
            result = self._timed(fn)
            await self._owe_sync()
            return result
        if where == _TRY:
            done, result = self._without_waiting(connection, fn, args, kwargs)
            if done:
                return result
        idle = self._thread_idle = threading.Event()

        def call() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                idle.set()

        result = await super()._execute(call)  # type: ignore[no-untyped-call]
        if wrote:
            await self._owe_sync()
        return result

    async def _owe_sync(self) -> None:
        """After a commit that wrote: nothing when it synced itself; else its ticket of the
        WAL's sync, left to the caller of :func:`syncs_owed` or waited for here."""
        syncer = self._syncer
        if syncer is None:
            return
        ticket = syncer.ticket()
        owed = _owed.get()
        if owed is not None:
            owed.append((syncer, ticket))
        else:
            await syncer.wait(ticket)

    def _timed(self, commit: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return commit()
        finally:
            self._commits.add(time.perf_counter() - started)

    def _roll_back_quietly(self) -> None:
        connection = self._connection
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                if connection.in_transaction:
                    connection.rollback()

    async def close(self) -> None:
        # a transaction open at close (a task cancelled mid-transaction, a loop torn down)
        # is rolled back first: sqlite3's close leaves a connection with a statement still
        # running open as a «zombie» that keeps SQLite's write lock until the statement is
        # finalized — every other writer of the file then met «database is locked»
        if self._running and self._connection is not None:
            with contextlib.suppress(Exception):
                await super()._execute(self._roll_back_quietly)  # type: ignore[no-untyped-call]
        await super().close()

    def stop(self) -> asyncio.Future[Any] | None:
        if self._running and self._connection is not None:
            self._tx.put_nowait((None, self._roll_back_quietly))  # runs before the close
        return super().stop()


def run_pragmas(connection: sqlite3.Connection, pragmas: tuple[str, ...]) -> None:
    """Run ``pragmas`` on a new connection (marketdesk's: ``store.db.SQLITE_PRAGMAS``)."""
    for pragma in pragmas:
        connection.execute(pragma).close()


def _open(database: str, pragmas: tuple[str, ...], **kwargs: Any) -> sqlite3.Connection:
    connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
    try:
        run_pragmas(connection, pragmas)
    except BaseException:
        connection.close()
        raise
    return connection


def connect_inline(
    database: str, *, pragmas: tuple[str, ...] = (), **kwargs: Any
) -> InlineConnection:
    """What SQLAlchemy's aiosqlite dialect calls to connect (its ``async_creator_fn``): an
    :class:`InlineConnection` to ``database`` with the dialect's own arguments. The
    ``pragmas`` run in the connection's thread as part of the connect: one hand-off for the
    whole of it, where a ``connect`` event listener would take one per statement (under
    load each hand-off waits for the busy event loop; a new connection took 0.1–0.7 s)."""
    kwargs["check_same_thread"] = False
    iter_chunk_size = kwargs.pop("iter_chunk_size", 64)
    connection = InlineConnection(partial(_open, database, pragmas, **kwargs), iter_chunk_size)
    connection._commits = commit_times(database)
    if SYNC_LATER in pragmas:  # its commits do not sync: the file's WalSyncer does
        connection._syncer = wal_syncer(database)
    connection._thread.daemon = True  # as the dialect does for aiosqlite's own connections
    return connection
