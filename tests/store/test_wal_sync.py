"""A server's SQLite commits are synced to disk by a thread of their own, many at once, after
their writer gave the write lock back (``store/wal.py``, ``WalSyncer``): a commit returns, and
its after-commit work runs, only once a sync that began after it has finished."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.db import Database
from marketdesk.store.transactions import on_commit, serialized, sqlite_write_lock
from marketdesk.store.wal import WalSyncer, wal_syncer


def _server(path: Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{path}", background_checkpoints=True, grouped_syncs=True)


async def _synchronous(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(text("PRAGMA synchronous"))).scalar_one())


def test_only_a_servers_sessions_leave_their_sync_to_the_thread(tmp_path: Path) -> None:
    async def main() -> tuple[int, int, int]:
        server = _server(tmp_path / "a.db")
        other = Database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
        try:
            # the writer thread's connection (the chat's batches) syncs its own commits
            in_writer = await server.run_sync(
                lambda connection: int(connection.execute(text("PRAGMA synchronous")).scalar_one())
            )
            return await _synchronous(server), in_writer, await _synchronous(other)
        finally:
            await server.dispose()
            await other.dispose()

    assert asyncio.run(main()) == (1, 2, 2)  # NORMAL, FULL, FULL


class _HeldSyncs:
    """The syncer's ``fsync`` held until :meth:`release`; what happened, in order;
    ``started`` set (in the loop) when the first sync began, ``ticketed`` when ``tickets``
    commits have taken their ticket."""

    def __init__(self, syncer: WalSyncer, *, tickets: int = 0) -> None:
        self.gate = threading.Event()
        self.events: list[str] = []
        self.started = asyncio.Event()
        self.ticketed = asyncio.Event()
        loop = asyncio.get_running_loop()
        real_sync, real_ticket = syncer._sync, syncer.ticket
        taken: list[int] = []

        def held() -> None:
            self.events.append("sync started")
            loop.call_soon_threadsafe(self.started.set)
            self.gate.wait(20)
            real_sync()
            self.events.append("sync done")

        def ticket() -> int:
            taken.append(real_ticket())
            if len(taken) == tickets:
                self.ticketed.set()
            return taken[-1]

        syncer._sync = held  # type: ignore[method-assign]
        syncer.ticket = ticket  # type: ignore[method-assign]

    def release(self) -> None:
        self.gate.set()


async def _table(database: Database) -> None:
    async with database.sessions() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
        await session.commit()


async def _until(event: asyncio.Event) -> None:
    async with asyncio.timeout(20):
        await event.wait()


def test_a_commit_returns_after_its_sync_and_other_writers_go_on_meanwhile(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"

    async def main() -> tuple[list[str], int, int]:
        database = _server(path)
        try:
            await _table(database)
            syncer = wal_syncer(str(path))
            syncs_before = syncer.syncs
            held = _HeldSyncs(syncer, tickets=6)

            async def write(n: int) -> None:
                async with database.sessions() as session:
                    await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})

                    async def published() -> None:
                        held.events.append(f"published {n}")

                    on_commit(session, published)
                    await session.commit()
                    held.events.append(f"returned {n}")

            first = asyncio.create_task(write(0))
            await _until(held.started)
            # the first commit waits for its sync, without the write lock: five more writers
            # take it, commit, and wait too
            others = [asyncio.create_task(write(n)) for n in range(1, 6)]
            await _until(held.ticketed)
            assert not first.done() and not any(task.done() for task in others)
            held.release()
            await asyncio.gather(first, *others)
            async with database.sessions() as session:
                count = int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())
            return held.events, syncer.syncs - syncs_before, count
        finally:
            await database.dispose()

    events, syncs, count = asyncio.run(main())
    assert count == 6
    # nobody returned or published before the sync that covers it was done
    assert events[:2] == ["sync started", "sync done"]
    assert events.index("sync done") < events.index("published 0") < events.index("returned 0")
    last_sync = len(events) - 1 - events[::-1].index("sync done")
    assert last_sync > events.index("sync done")
    for n in range(1, 6):
        assert last_sync < events.index(f"published {n}") < events.index(f"returned {n}")
    # the five that waited together shared one sync
    assert syncs == 2


@pytest.mark.parametrize("in_block", [False, True], ids=["session", "serialized"])
def test_a_failed_sync_fails_the_commit_and_publishes_nothing(
    tmp_path: Path, in_block: bool
) -> None:
    """A plain session's commit, or a ``@serialized`` use case that commits (its sync waited
    for at the block's end): the failure is raised, nothing is announced."""
    path = tmp_path / "f.db"

    async def main() -> list[str]:
        database = _server(path)
        published: list[str] = []
        try:
            await _table(database)
            syncer = wal_syncer(str(path))

            def failing() -> None:
                raise OSError(5, "Input/output error")

            syncer._sync = failing  # type: ignore[method-assign]

            async def write(session: AsyncSession) -> None:
                await session.execute(text("INSERT INTO t VALUES (1)"))

                async def publish() -> None:
                    published.append("x")

                on_commit(session, publish)
                await session.commit()

            async with database.sessions() as session:
                with pytest.raises(OSError):
                    await (serialized(write) if in_block else write)(session)
            return published
        finally:
            await database.dispose()

    assert asyncio.run(main()) == []


def test_a_commit_outside_a_session_waits_for_its_own_sync(tmp_path: Path) -> None:
    path = tmp_path / "e.db"

    async def main() -> list[str]:
        database = _server(path)
        try:
            await _table(database)
            held = _HeldSyncs(wal_syncer(str(path)))

            async def write() -> None:
                async with database.engine.begin() as connection:
                    await connection.execute(text("INSERT INTO t VALUES (1)"))
                held.events.append("returned")

            task = asyncio.create_task(write())
            await _until(held.started)
            await asyncio.sleep(0.05)
            assert not task.done()
            held.release()
            await task
            return held.events
        finally:
            await database.dispose()

    assert asyncio.run(main()) == ["sync started", "sync done", "returned"]


def test_a_file_without_its_wal_has_nothing_to_sync(tmp_path: Path) -> None:
    syncer = WalSyncer(str(tmp_path / "none.db"))

    async def main() -> int:
        await syncer.wait(syncer.ticket())
        await syncer.wait(syncer.ticket())
        return syncer.syncs

    assert asyncio.run(main()) >= 1


def test_a_serialized_use_case_gives_the_lock_back_before_its_sync_and_announcements(
    tmp_path: Path,
) -> None:
    """A use case that holds the write lock for its whole body (``@serialized``) commits
    inside it: the next writer takes the lock while the first one's sync is still running,
    and each announces (its after-commit work) only once its sync is done, with the lock
    free of it."""
    path = tmp_path / "z.db"

    async def main() -> tuple[list[str], list[bool]]:
        database = _server(path)
        try:
            await _table(database)
            lock = sqlite_write_lock(database.engine)
            assert lock is not None
            held = _HeldSyncs(wal_syncer(str(path)), tickets=2)
            lock_taken_when_announced: list[bool] = []

            @serialized
            async def write(session: AsyncSession, n: int) -> None:
                await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})

                async def published() -> None:
                    held.events.append(f"published {n}")
                    lock_taken_when_announced.append(lock.locked())

                on_commit(session, published)
                await session.commit()

            async def request(n: int) -> None:
                async with database.sessions() as session:
                    await write(session, n)
                held.events.append(f"returned {n}")

            first = asyncio.create_task(request(0))
            await _until(held.started)
            second = asyncio.create_task(request(1))
            # the second writer commits while the first one's sync is held
            await _until(held.ticketed)
            assert not first.done() and not second.done()
            held.release()
            await asyncio.gather(first, second)
            return held.events, lock_taken_when_announced
        finally:
            await database.dispose()

    events, locked = asyncio.run(main())
    assert events.index("sync done") < events.index("published 0") < events.index("returned 0")
    last_sync = len(events) - 1 - events[::-1].index("sync done")
    assert last_sync < events.index("published 1") < events.index("returned 1")
    assert locked == [False, False]


def test_a_serialized_use_case_that_fails_after_its_commit_announces_what_it_committed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "y.db"

    async def main() -> tuple[list[str], int]:
        database = _server(path)
        published: list[str] = []
        try:
            await _table(database)

            @serialized
            async def write(session: AsyncSession) -> None:
                await session.execute(text("INSERT INTO t VALUES (1)"))

                async def publish() -> None:
                    published.append("first")

                on_commit(session, publish)
                await session.commit()
                raise ValueError("after the commit")

            async with database.sessions() as session:
                with pytest.raises(ValueError, match="after the commit"):
                    await write(session)
                count = int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())
            return published, count
        finally:
            await database.dispose()

    assert asyncio.run(main()) == (["first"], 1)


def test_a_task_started_in_a_serialized_block_that_commits_after_it_still_announces(
    tmp_path: Path,
) -> None:
    """A task inherits the block's context; once the block has ended, its commit announces
    itself (nobody is left to run the block's deferred work)."""
    path = tmp_path / "w.db"

    async def main() -> list[str]:
        database = _server(path)
        published: list[str] = []
        try:
            await _table(database)
            go_on = asyncio.Event()

            async def later() -> None:
                await go_on.wait()
                async with database.sessions() as session:
                    await session.execute(text("INSERT INTO t VALUES (2)"))

                    async def publish() -> None:
                        published.append("later")

                    on_commit(session, publish)
                    await session.commit()

            @serialized
            async def write(session: AsyncSession) -> asyncio.Task[None]:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                await session.commit()
                return asyncio.create_task(later())

            async with database.sessions() as session:
                task = await write(session)
            go_on.set()
            async with asyncio.timeout(10):
                await task
            return published
        finally:
            await database.dispose()

    assert asyncio.run(main()) == ["later"]
