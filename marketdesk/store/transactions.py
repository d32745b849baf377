"""What a write transaction has besides its SQL: the process's SQLite write lock, and work
that must run only once the transaction has committed.

**The SQLite write lock.** SQLite allows one writer at a time. Waiting on an asyncio lock is
fair and immediate, where SQLite's busy handler sleeps up to 100 ms between tries (under 16
concurrent writers that made the tail of every write path seconds long), so no write of this
process waits in the busy handler: every :class:`Session` takes :func:`sqlite_write_lock`
right before its first write (an ``INSERT``/``UPDATE``/``DELETE``, a flush of pending
objects, autoflush included, or a ``SELECT … FOR UPDATE``, which reads what it will write)
and gives it back when the transaction ends (commit, rollback, close). That is the span in
which SQLite itself holds its write lock (the driver begins the transaction at the first
write), widened to the locking read, so the order of the writers is the lock's queue, first
come first served. A use case may also take it for the whole of its body
(``@serialized``: the chat, which reads and decides under it). The lock is re-entrant within
a task: a use case that holds it may call another that takes it, and a session of a task
that holds it goes straight in. The server's processes on one file (``serve --workers N``)
share it: behind the process's own queue, a file lock beside the database orders them
(``store.file_locks.WriteLock``), so their writers never meet SQLite's busy handler either.
Other programs on the file (the CLI, a backup) still do. PostgreSQL needs nothing (row
locks).

**After commit.** :func:`on_commit` registers a coroutine to run after the session's
transaction commits (Zulip's ``send_event_on_commit``; Django's ``transaction.on_commit``):
live events are published only for what is really stored, and a rolled-back transaction
publishes nothing. Every session of :class:`marketdesk.store.db.Database` is a
:class:`Session`, whose ``commit`` runs the callbacks right after the commit; a writer cannot
forget to publish."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event, orm
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from .file_locks import WriteLock, lock_file_path
from .sqlite_driver import plain_write, syncs_owed, wait_for_syncs

__all__ = [
    "AfterCommit",
    "Session",
    "WriteLockTimeout",
    "on_commit",
    "run_after_commit",
    "serialized",
    "sqlite_write_lock",
    "statement_alone",
    "transaction_state",
    "write_locked",
]

AfterCommit = Callable[[], Awaitable[None]]
"""Work to run once the transaction is committed (no arguments; awaited in order)."""

_PENDING = "marketdesk.after_commit.pending"
_READY = "marketdesk.after_commit.ready"
_STATE = "marketdesk.transaction.state"

_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])
_locks: weakref.WeakKeyDictionary[Any, WriteLock] = weakref.WeakKeyDictionary()
_held: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "marketdesk_sqlite_locks_held", default=frozenset()
)


class _AfterUnlock:
    """The work :func:`write_locked` runs once it has given the lock back: the sync and the
    after-commit callbacks of each commit made inside the block (:meth:`Session.commit`).
    Closed once run: a commit after that (a task started inside the block, which inherits
    the block's context) announces itself at once."""

    __slots__ = ("open", "work")

    def __init__(self) -> None:
        self.work: list[AfterCommit] = []
        self.open = True

    async def run(self) -> None:
        """Each commit's work in order; every one runs, the first failure is raised."""
        self.open = False
        failure: BaseException | None = None
        for finish in self.work:
            try:
                await finish()
            except Exception as error:  # a failed sync: the other commits still announce
                failure = failure or error
        self.work.clear()
        if failure is not None:
            raise failure


_after_unlock: contextvars.ContextVar[_AfterUnlock | None] = contextvars.ContextVar(
    "marketdesk_after_unlock", default=None
)


def sqlite_write_lock(engine: Any) -> WriteLock | None:
    """The write lock of a SQLite engine (sync or async), shared with the other processes on
    its file; None on PostgreSQL."""
    engine = getattr(engine, "sync_engine", engine)
    if engine.dialect.name != "sqlite":
        return None
    lock = _locks.get(engine)
    if lock is None:
        lock = _locks[engine] = WriteLock(lock_file_path(engine.url.database, "writer"))
    return lock


@contextlib.asynccontextmanager
async def write_locked(session: AsyncSession) -> AsyncIterator[None]:
    """Hold the SQLite write lock of the session's engine for the block (nothing on
    PostgreSQL); re-entrant: a task that holds it already goes straight in. A commit inside
    the block waits for its sync to disk, and runs its after-commit work (the live events:
    a Redis round trip each with several processes), when the block ends, with the lock
    given back: the next writer goes on meanwhile, as after a plain session's commit. The
    block's caller gets its result only after that, and a block that fails after a commit
    still announces what was committed."""
    lock = sqlite_write_lock(session.get_bind())
    if lock is None or id(lock) in _held.get():
        yield
        return
    # the connection first, the lock after: a holder of the lock never waits for the
    # pool, which the writers queued behind the lock may have emptied (each holds the
    # connection its reads took) — that wait was a deadlock until the pool's timeout.
    # Taking a connection begins no SQLite transaction (that waits for the first write).
    await session.connection()
    after_unlock = _AfterUnlock()
    try:
        async with lock:
            token = _held.set(_held.get() | {id(lock)})
            unlock_token = _after_unlock.set(after_unlock)
            try:
                yield
            finally:
                _after_unlock.reset(unlock_token)
                _held.reset(token)
    finally:
        # the commits of the block: on disk, then announced, with the lock given back
        await after_unlock.run()


async def statement_alone(session: AsyncSession) -> bool:
    """On PostgreSQL, while nothing is begun at the server: the session's connection taken
    in autocommit, for a unit of work that is one statement (as atomic on its own as in a
    transaction): no ``BEGIN`` and no ``COMMIT``, two round trips of three. The caller runs
    that one statement, then commits the session as usual (the after-commit work runs); the
    connection goes back to the pool at the commit, and the session's next transaction takes
    one as usual. A session that has only read on its connection outside a transaction
    (``store.db.read_first``: the principal) and holds nothing is ended first, which costs
    no round trip. → whether it did (False on SQLite, or once the session has begun at the
    server or holds objects or work after commit: the caller's statements go in the
    transaction as usual)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    if session.in_transaction():
        if (
            session.new
            or session.dirty
            or session.deleted
            or len(session.identity_map)
            or session.sync_session.info.get(_PENDING)
        ):
            return False
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        if raw.driver_connection is None or raw.driver_connection.is_in_transaction():
            return False
        await session.rollback()  # nothing begun at the server: no round trip
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def serialized(function: _F) -> _F:
    """Run ``function(session, …)`` holding the SQLite write lock of the session's engine
    for its whole body (:func:`write_locked`)."""

    @functools.wraps(function)
    async def wrapper(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        async with write_locked(session):
            return await function(session, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def on_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the session's current transaction commits; never if it rolls
    back. Callbacks run in the order they were registered."""
    session.sync_session.info.setdefault(_PENDING, []).append(callback)


def transaction_state(session: AsyncSession) -> dict[str, Any]:
    """A dict that lives as long as the session's current transaction: emptied when it
    commits or rolls back (for collecting what the transaction did)."""
    state: dict[str, Any] = session.sync_session.info.setdefault(_STATE, {})
    return state


async def run_after_commit(session: AsyncSession) -> None:
    """Run the callbacks of the transactions this session has committed (``Session.commit``
    and ``Session.close`` call this; a session of another class must call it itself)."""
    info = session.sync_session.info
    while info.get(_READY):
        callbacks: list[AfterCommit] = info.pop(_READY)
        for callback in callbacks:
            await callback()


@event.listens_for(orm.Session, "after_commit")
def _committed(session: orm.Session) -> None:
    session.info.pop(_STATE, None)
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(orm.Session, "after_rollback")
def _rolled_back(session: orm.Session) -> None:
    session.info.pop(_STATE, None)
    session.info.pop(_PENDING, None)


@event.listens_for(orm.Session, "after_soft_rollback")
def _soft_rolled_back(session: orm.Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)
        session.info.pop(_STATE, None)


WRITE_LOCK_TIMEOUT = 10.0
"""Seconds a SQLite writer waits for the process's write lock before it gives up (SQLite's
own ``busy_timeout`` of the engine, :data:`marketdesk.store.db.SQLITE_PRAGMAS`)."""


class WriteLockTimeout(sa_exc.OperationalError):
    """The process's SQLite write lock was not free in :data:`WRITE_LOCK_TIMEOUT` seconds
    (what SQLite's busy handler reports as «database is locked»)."""

    def __init__(self) -> None:
        super().__init__("acquire the SQLite write lock", None, Exception("database is locked"))


def _writes(statement: Any) -> bool:
    if getattr(statement, "is_dml", False):
        return True
    if getattr(statement, "_for_update_arg", None) is not None:
        # ``SELECT … FOR UPDATE``: read to decide and write (PostgreSQL's row lock). SQLite
        # has no row locks: the write lock from here, or two writers would both decide on
        # what they read before either wrote (two status changes of one task both allowed)
        return True
    return isinstance(statement, TextClause) and plain_write(statement.text)


class Session(AsyncSession):
    """marketdesk's session: on SQLite it holds the process's write lock from its first write
    to the end of the transaction (see the module's text); after a commit it runs the work
    registered with :func:`on_commit` (the live events of what was committed)."""

    _write_lock: WriteLock | None = None

    def _has_changes(self) -> bool:
        # ``_is_clean`` looks at the new, deleted and modified objects only (``dirty`` would
        # walk every object of the session)
        return not self.sync_session._is_clean()

    def _has_pending(self) -> bool:
        return self.sync_session.autoflush and self._has_changes()

    async def _before_write(self) -> None:
        if self._write_lock is not None:
            return
        lock = sqlite_write_lock(self.bind) if self.bind is not None else None
        if lock is None or id(lock) in _held.get():
            return
        # the connection first, the lock after (as ``serialized``): a holder of the lock
        # never waits for the pool, which the writers queued behind it may have emptied
        await self.connection()
        try:
            async with asyncio.timeout(WRITE_LOCK_TIMEOUT):
                await lock.acquire()
        except TimeoutError:
            raise WriteLockTimeout() from None
        self._write_lock = lock
        _held.set(_held.get() | {id(lock)})

    def _release_write_lock(self) -> None:
        lock, self._write_lock = self._write_lock, None
        if lock is not None:
            _held.set(_held.get() - {id(lock)})
            lock.release()

    async def _before_statement(self, statement: Any) -> None:
        """The lock before a statement that writes, or before the autoflush it triggers."""
        if _writes(statement) or self._has_pending():
            await self._before_write()

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        await self._before_statement(statement)
        return await super().execute(statement, *args, **kwargs)

    async def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        await self._before_statement(statement)  # an ``INSERT … RETURNING`` writes too
        return await super().scalar(statement, *args, **kwargs)

    async def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        await self._before_statement(statement)
        return await super().scalars(statement, *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("with_for_update") or self._has_pending():
            await self._before_write()
        return await super().get(*args, **kwargs)

    async def flush(self, objects: Any = None) -> None:
        if self._has_changes():
            await self._before_write()
        await super().flush(objects)

    async def commit(self) -> None:
        if self._has_changes():
            await self._before_write()
        # a server's SQLite commit is synced to disk after the write lock is given back
        # (``store.wal.WalSyncer``), and only then reported or published
        with syncs_owed() as owed:
            try:
                await super().commit()
            finally:
                self._release_write_lock()
        ready = self.sync_session.info.pop(_READY, [])
        after_unlock = _after_unlock.get()
        if after_unlock is not None and after_unlock.open:
            # a ``write_locked`` block holds the lock: the sync and the announcements wait
            # for its end, so that its lock is not held meanwhile (a Redis round trip an event)
            after_unlock.work.append(functools.partial(self._announce, owed, ready))
            return
        await self._announce(owed, ready)

    async def _announce(self, owed: list[tuple[Any, int]], callbacks: list[AfterCommit]) -> None:
        """Once the commit's WAL is on disk, its after-commit callbacks, in order."""
        try:
            await wait_for_syncs(owed)
        except OSError:  # whether it is on disk cannot be told: nothing is announced
            self.sync_session.info.pop(_READY, None)
            raise
        for callback in callbacks:
            await callback()
        await run_after_commit(self)

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._release_write_lock()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        """SQLAlchemy closes a session at the end of ``async with`` in a task of its own, so
        that a cancellation cannot abandon the close halfway (a connection given back to a
        pool half reset): a task, a shield and a round of the event loop for every session.
        A session that holds no transaction and has no after-commit work left has nothing
        to give back: its close awaits nothing and cannot be cut short, so it runs here."""
        sync_session = self.sync_session
        if sync_session._transaction is None and not sync_session.info.get(_READY):
            await self.close()
            return
        await super().__aexit__(type_, value, traceback)

    async def close(self) -> None:
        try:
            await run_after_commit(self)
        finally:
            try:
                await super().close()
            finally:
                self._release_write_lock()
