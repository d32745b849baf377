"""SQLite's driver calls in the event loop's thread (``store/sqlite_driver.py``): what cannot
wait runs there, what can wait runs in the connection's thread, in order; a connection closed
in the middle of a transaction gives SQLite's write lock back."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import pytest
from sqlalchemy import event, text

from marketdesk.store.db import Database
from marketdesk.store.sqlite_driver import (
    COMMIT_PROBE_EVERY,
    COMMITS_TO_THREAD_ABOVE,
    INLINE_COMMIT_BELOW,
    CommitTimes,
    InlineConnection,
    commit_times,
    connect_inline,
    offloaded,
)
from tests.conftest import PG_ENV

_T = TypeVar("_T")


def _run(work: Callable[[Database], Awaitable[_T]], path: Path) -> _T:
    async def main() -> _T:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with database.session() as session:
                await session.execute(text("CREATE TABLE IF NOT EXISTS t (v TEXT PRIMARY KEY)"))
                await session.commit()
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


async def _with_runner(session: Any) -> InlineConnection:
    """The session's driver connection, with ``runner()``: the name of the thread that
    calls it (read back by SQL)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, InlineConnection)
    await driver.create_function("runner", 0, lambda: threading.current_thread().name)
    return driver


async def _thread_names(database: Database) -> list[str]:
    """The thread that ran each kind of call, read back by SQL: a function registered on
    the connection answers with the name of the thread that calls it."""
    loop_thread = threading.current_thread().name
    names: list[str] = []
    async with database.session() as session:
        driver = await _with_runner(session)

        async def runner(sql: str) -> None:
            name = (await session.execute(text(sql))).scalar_one()
            names.append("loop" if name == loop_thread else "connection")

        await runner("SELECT runner()")  # a read: inline
        # the first write of a transaction: SQLite's write lock may be held elsewhere
        await session.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await runner("SELECT runner()")
        await runner("INSERT INTO t (v) VALUES (runner()) RETURNING v")  # inside: inline
        await session.commit()
        last_hand_off = driver._thread_idle  # a new one for every call handed to the thread
        await runner("SELECT runner()")
        await session.commit()  # nothing to commit: no hand-off
        assert driver._thread_idle is last_hand_off
        with offloaded():
            await runner("SELECT runner()")
    return names


def test_reads_and_writes_inside_a_transaction_run_in_the_loop_thread(tmp_path: Path) -> None:
    names = _run(_thread_names, tmp_path / "a.db")
    assert names == ["loop", "loop", "loop", "loop", "connection"]


def test_a_writer_waiting_for_another_process_never_blocks_the_event_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.db"

    async def work(database: Database) -> list[str]:
        # another process's writer (a plain connection) holds SQLite's write lock
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def ticker() -> None:
            # releases the other writer only after the loop has run it five times: were the
            # waiting insert run in the loop's thread, the loop would sleep in SQLite's busy
            # handler, this would never run and the insert would fail after its timeout
            nonlocal ticks
            while ticks < 5:
                await asyncio.sleep(0.01)
                ticks += 1
            other.execute("COMMIT")

        async def insert() -> None:
            async with database.session() as session:
                await session.execute(text("INSERT INTO t (v) VALUES ('waited')"))
                await session.commit()

        await asyncio.gather(ticker(), insert())
        other.close()
        async with database.session() as session:
            rows = (await session.execute(text("SELECT v FROM t"))).scalars().all()
        return list(rows)

    assert _run(work, path) == ["waited"]


def test_a_writer_cancelled_while_it_waits_leaves_no_transaction_behind(tmp_path: Path) -> None:
    path = tmp_path / "c.db"

    async def work(database: Database) -> bool:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        started = asyncio.Event()

        async def insert() -> None:
            async with database.session() as session:
                started.set()
                await session.execute(text("INSERT INTO t (v) VALUES ('cancelled')"))
                await session.commit()

        task = asyncio.create_task(insert())
        await started.wait()
        await asyncio.sleep(0.05)  # the insert is waiting in the connection's thread
        task.cancel()
        await asyncio.sleep(0.05)  # SQLAlchemy deals with the cancellation (a rollback)
        # the other writer lets go: the cancelled insert now runs in its thread, and what
        # SQLAlchemy ran after the cancellation must come after it
        other.execute("COMMIT")
        await asyncio.gather(task, return_exceptions=True)
        async with database.session() as session:  # the pool's connections in turn
            await session.execute(text("SELECT 1"))
        # a third writer, impatient: it finds SQLite's write lock free
        third = sqlite3.connect(path, isolation_level=None, timeout=2)
        try:
            third.execute("BEGIN IMMEDIATE")
            third.execute("INSERT INTO t (v) VALUES ('third')")
            third.execute("COMMIT")
            values = {row[0] for row in third.execute("SELECT v FROM t")}
        finally:
            third.close()
            other.close()
        return values == {"third"}

    assert _run(work, path)


async def _first_write(database: Database, other: sqlite3.Connection | None) -> tuple[str, int]:
    """Where a transaction's first write ran (while ``other`` holds SQLite's write lock, if
    given, until the loop has gone round a few times), and the busy timeout after it."""
    loop_thread = threading.current_thread().name
    async with database.session() as session:
        await _with_runner(session)

        async def release() -> None:
            for _ in range(5):
                await asyncio.sleep(0.01)
            if other is not None:
                other.execute("COMMIT")

        insert = session.execute(text("INSERT INTO t (v) VALUES (runner()) RETURNING v"))
        result, _ = await asyncio.gather(insert, release())
        name = result.scalar_one()
        await session.commit()
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
    return ("loop" if name == loop_thread else "connection"), int(timeout)


def test_a_first_write_runs_in_the_loop_thread_when_nobody_else_holds_the_lock(
    tmp_path: Path,
) -> None:
    where, timeout = _run(lambda database: _first_write(database, None), tmp_path / "f.db")
    assert where == "loop"
    assert timeout == 10000  # SQLite's busy timeout is back after the write that did not wait


def test_a_first_write_waits_in_the_connections_thread_when_another_process_holds_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.db"

    async def work(database: Database) -> tuple[str, int]:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        try:
            return await _first_write(database, other)
        finally:
            other.close()

    where, timeout = _run(work, path)
    assert where == "connection"  # tried at once, refused (nothing written), then waited
    assert timeout == 10000


def _closed_in_a_transaction(path: Path, *, close: str) -> bool:
    """A connection holding SQLite's write lock with a read still under way is closed: can
    another writer then take the lock at once?"""

    async def main() -> bool:
        with sqlite3.connect(path) as setup:
            setup.execute("CREATE TABLE IF NOT EXISTS n (i INTEGER)")
            setup.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(100)])
        connection: Any = connect_inline(str(path))
        await connection
        cursor = await connection.execute("SELECT i FROM n")
        await cursor.fetchone()  # a statement still running: sqlite3 cannot finalize it
        await connection.execute("INSERT INTO n VALUES (-1)")  # the write lock
        if close == "close":
            await connection.close()
        else:  # what SQLAlchemy does to a connection of a cancelled task
            stopped = connection.stop()
            if stopped is not None:
                await stopped
        other = sqlite3.connect(path, isolation_level=None, timeout=0.2)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
        return True

    return asyncio.run(main())


def test_closing_a_connection_in_a_transaction_gives_the_write_lock_back(tmp_path: Path) -> None:
    assert _closed_in_a_transaction(tmp_path / "d.db", close="close")
    assert _closed_in_a_transaction(tmp_path / "e.db", close="stop")


def test_a_new_connection_is_set_up_in_one_hand_off_with_every_pragma(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pragmas run in the connection's thread with the connect, and the dialect's own
    set-up (its ``regexp`` and ``floor`` functions) in the loop's thread: no call of a new
    connection waits for a hand-off to its thread. Under load each hand-off waited for the
    busy event loop, and a new connection's eight of them took 0.1–0.7 s."""
    handed: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Callable[..., Any], *a: Any) -> Any:
        handed.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *a)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)

    async def work(database: Database) -> tuple[list[Any], list[str]]:
        await database.engine.dispose()  # the pool's connections: a new one follows
        handed.clear()
        async with database.session() as session:
            await session.execute(text("SELECT 1"))  # the connect, then an inline read
            at_connect = list(handed)
            settings = [
                (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
            matched = (await session.execute(text("SELECT 'abc' REGEXP 'b'"))).scalar_one()
        return [*settings, matched], at_connect

    settings, calls = _run(work, tmp_path / "f.db")
    assert settings == ["wal", 2, 1, 10000, 1]  # synchronous=FULL is 2
    assert calls == []


def test_connections_opened_in_a_burst_are_kept(tmp_path: Path) -> None:
    """SQLite's pool keeps what a burst opened (pool and overflow): the next burst opens
    no connection."""

    async def main() -> tuple[int, int, int]:
        database = Database(
            f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", pool_size=2, max_overflow=10
        )
        opened = 0

        def count(*_: Any) -> None:
            nonlocal opened
            opened += 1

        event.listen(database.engine.sync_engine, "connect", count)
        try:

            async def burst() -> None:
                gate, holding = asyncio.Event(), asyncio.Event()
                held = 0

                async def request() -> None:
                    nonlocal held
                    async with database.session() as session:
                        await session.execute(text("SELECT 1"))
                        held += 1
                        if held == 12:
                            holding.set()
                        await gate.wait()  # all twelve hold a connection at once

                requests = [asyncio.create_task(request()) for _ in range(12)]
                # however slowly a loaded machine opens them (a fixed pause was not enough)
                await asyncio.wait_for(holding.wait(), 60)
                gate.set()
                await asyncio.gather(*requests)

            await burst()
            first = opened
            await burst()
            return first, opened, database.engine.pool.checkedin()  # type: ignore[attr-defined]
        finally:
            await database.dispose()

    first, after_second, kept = asyncio.run(main())
    assert first == 12
    assert after_second == 12
    assert kept == 12


def test_commit_times_send_commits_to_the_thread_while_the_disk_is_slow() -> None:
    times = CommitTimes()
    assert times.inline()  # nothing measured yet: the loop's thread, where it is timed
    times.add(INLINE_COMMIT_BELOW / 5)
    assert times.inline()
    for _ in range(40):
        times.add(COMMITS_TO_THREAD_ABOVE * 0.9)  # slower, not yet slow: still in the loop
    assert times.inline()
    for _ in range(5):
        times.add(COMMITS_TO_THREAD_ABOVE * 10)  # fsync of a slow disk, a checkpoint
    assert not times.in_loop
    # to the threads now, but every COMMIT_PROBE_EVERY-th commit is a probe in the loop
    decisions = [times.inline() for _ in range(COMMIT_PROBE_EVERY * 3)]
    assert decisions.count(True) == 3
    assert decisions[COMMIT_PROBE_EVERY - 1] and not any(decisions[: COMMIT_PROBE_EVERY - 1])
    # probes that find the disk between the two thresholds leave the commits in the threads
    for _ in range(60):
        times.add((INLINE_COMMIT_BELOW + COMMITS_TO_THREAD_ABOVE) / 2)
    assert not times.in_loop
    # fast again: back to the loop
    for _ in range(60):
        times.add(INLINE_COMMIT_BELOW / 5)
    assert times.in_loop and times.inline()


async def _commit_hands_off(database: Database, average: float | None) -> tuple[bool, float]:
    """Whether a commit that wrote went to the connection's thread while the database's
    commits took ``average`` seconds (the decision made on it), and the average after it."""
    async with database.session() as session:
        driver = await _with_runner(session)
        await session.execute(text("INSERT INTO t (v) VALUES ('x') ON CONFLICT DO NOTHING"))
        times = driver._commits
        times.average = None
        times.in_loop = True
        if average is not None:
            times.add(average)
        before = driver._thread_idle
        await session.commit()
        assert times.average is not None
        return driver._thread_idle is not before, times.average


def test_a_commit_runs_in_the_loop_thread_while_commits_are_fast(tmp_path: Path) -> None:
    slow = COMMITS_TO_THREAD_ABOVE * 10
    handed_off, average = _run(lambda db: _commit_hands_off(db, None), tmp_path / "c.db")
    assert not handed_off  # the first commit is timed in the loop
    assert 0 < average < slow
    handed_off, after = _run(
        lambda db: _commit_hands_off(db, INLINE_COMMIT_BELOW / 10), tmp_path / "c.db"
    )
    assert not handed_off
    assert after != INLINE_COMMIT_BELOW / 10  # timed
    handed_off, after = _run(lambda db: _commit_hands_off(db, slow), tmp_path / "c.db")
    assert handed_off
    assert after == slow  # not timed in the thread (the GIL's wait would count)
    assert commit_times(str(tmp_path / "c.db")) is commit_times(str(tmp_path / "c.db"))


def test_quick_reads_see_each_commit_and_never_write(tmp_path: Path) -> None:
    """``Database.quick_reads``: a plain connection of the calling thread, in autocommit (it
    sees every commit, and holds no transaction open) and read-only."""

    async def work(database: Database) -> None:
        quick = database.quick_reads()
        assert quick is not None
        assert database.quick_reads() is quick  # one a thread
        assert quick.execute("SELECT count(*) FROM t").fetchone() == (0,)
        async with database.session() as session:
            await session.execute(text("INSERT INTO t VALUES ('a')"))
            await session.commit()
        assert quick.execute("SELECT v FROM t").fetchall() == [("a",)]
        assert not quick.in_transaction
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            quick.execute("INSERT INTO t VALUES ('b')")
        other: list[Any] = []
        thread = threading.Thread(target=lambda: other.append(database.quick_reads()))
        thread.start()
        thread.join()
        assert other[0] is not None and other[0] is not quick
        await database.dispose()  # closes every thread's connection
        with pytest.raises(sqlite3.ProgrammingError):
            quick.execute("SELECT 1")
        with pytest.raises(sqlite3.ProgrammingError):
            other[0].execute("SELECT 1")

    _run(work, tmp_path / "quick.db")


def test_quick_reads_are_none_on_postgresql() -> None:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")

    async def main() -> None:
        database = Database(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            assert database.quick_reads() is None
        finally:
            await database.dispose()

    asyncio.run(main())
