"""What a write transaction has besides its SQL: the process's SQLite write lock, and work
that must run only once the transaction has committed.

**The SQLite write lock.** SQLite allows one writer at a time. Waiting on an asyncio lock is
fair and immediate, where SQLite's busy handler sleeps up to 100 ms between tries, so every
write transaction of the chat takes :func:`sqlite_write_lock` (``@serialized``). The lock is
re-entrant within a task: a use case that holds it may call another that takes it.
PostgreSQL needs nothing (row locks).

**After commit.** :func:`on_commit` registers a coroutine to run after the session's
transaction commits (Zulip's ``send_event_on_commit``; Django's ``transaction.on_commit``):
live events are published only for what is really stored, and a rolled-back transaction
publishes nothing. Every session of :class:`marketdesk.store.db.Database` is a
:class:`Session`, whose ``commit`` runs the callbacks right after the commit; a writer cannot
forget to publish."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event, orm
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "AfterCommit",
    "Session",
    "on_commit",
    "run_after_commit",
    "serialized",
    "sqlite_write_lock",
    "transaction_state",
]

AfterCommit = Callable[[], Awaitable[None]]
"""Work to run once the transaction is committed (no arguments; awaited in order)."""

_PENDING = "marketdesk.after_commit.pending"
_READY = "marketdesk.after_commit.ready"
_STATE = "marketdesk.transaction.state"

_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])
_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_held: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "marketdesk_sqlite_locks_held", default=frozenset()
)


def sqlite_write_lock(engine: Any) -> asyncio.Lock | None:
    """The process's write lock of a SQLite engine (sync or async); None on PostgreSQL."""
    engine = getattr(engine, "sync_engine", engine)
    if engine.dialect.name != "sqlite":
        return None
    lock = _locks.get(engine)
    if lock is None:
        lock = _locks[engine] = asyncio.Lock()
    return lock


def serialized(function: _F) -> _F:
    """Run ``function(session, …)`` holding the SQLite write lock of the session's engine
    (nothing on PostgreSQL); re-entrant: a caller that holds it already goes straight in."""

    @functools.wraps(function)
    async def wrapper(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        lock = sqlite_write_lock(session.get_bind())
        if lock is None or id(lock) in _held.get():
            return await function(session, *args, **kwargs)
        # the connection first, the lock after: a holder of the lock never waits for the
        # pool, which the writers queued behind the lock may have emptied (each holds the
        # connection its reads took) — that wait was a deadlock until the pool's timeout.
        # Taking a connection begins no SQLite transaction (that waits for the first write).
        await session.connection()
        async with lock:
            token = _held.set(_held.get() | {id(lock)})
            try:
                return await function(session, *args, **kwargs)
            finally:
                _held.reset(token)

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


class Session(AsyncSession):
    """marketdesk's session: after a commit it runs the work registered with
    :func:`on_commit` (the live events of what was committed)."""

    async def commit(self) -> None:
        await super().commit()
        await run_after_commit(self)

    async def close(self) -> None:
        try:
            await run_after_commit(self)
        finally:
            await super().close()
