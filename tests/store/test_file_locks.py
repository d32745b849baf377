"""The locks several server processes share on one SQLite file (``store.file_locks``): the
write lock orders the writers of all the processes (none meets SQLite's busy handler, none
loses another's update), its waits share one thread, a writer that gives up waiting leaves the
lock free (and the writer after it holding it), and the leader lease has one holder, taken
over when the holder is killed."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from marketdesk.store.db import Database
from marketdesk.store.file_locks import WriteLock, lock_file_path, try_lock_file
from marketdesk.store.leases import FileLease, SoleProcessLease, lease_for

ROOT = Path(__file__).resolve().parents[2]

# A writer process: ``ROUNDS`` read-modify-write transactions on one counter, each read under
# the write lock and the write a millisecond later (a lost update, if another process could
# write in between). SQLite's busy timeout is zero: had two processes' writers met in SQLite,
# the second would fail with «database is locked» at once instead of waiting in the busy
# handler.
WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from sqlalchemy import event, text
    from marketdesk.store.db import Database
    from marketdesk.store.transactions import write_locked

    async def main(url, rounds):
        database = Database(url)
        event.listen(
            database.engine.sync_engine,
            "connect",
            lambda connection, _record: connection.execute("PRAGMA busy_timeout=0"),
        )
        try:
            for _ in range(rounds):
                async with database.sessions() as session:
                    async with write_locked(session):
                        n = await session.scalar(text("SELECT n FROM counter"))
                        await asyncio.sleep(0.001)
                        await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
                        await session.commit()
        finally:
            await database.dispose()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)

# Holds a file's lock until killed (prints "held" once it has it).
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from marketdesk.store.file_locks import try_lock_file
    fd = None
    while fd is None:
        fd = try_lock_file(Path(sys.argv[1]))
    print("held", flush=True)
    time.sleep(600)
    """
)


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _holding(path: Path) -> subprocess.Popen[str]:
    holder = _python(HOLDER, str(path))
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def _counter_database(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"

    async def create() -> None:
        database = Database(url)
        try:
            async with database.engine.begin() as connection:
                await connection.execute(text("PRAGMA journal_mode=WAL"))
                await connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
                await connection.execute(text("INSERT INTO counter VALUES (0)"))
        finally:
            await database.dispose()

    asyncio.run(create())
    return url


def _count(url: str) -> int:
    async def read() -> int:
        database = Database(url)
        try:
            async with database.sessions() as session:
                return int(await session.scalar(text("SELECT n FROM counter")))
        finally:
            await database.dispose()

    return asyncio.run(read())


def test_the_writers_of_three_processes_take_turns(tmp_path: Path) -> None:
    url = _counter_database(tmp_path / "shared.db")
    rounds = 60
    writers = [_python(WRITER, url, str(rounds)) for _ in range(3)]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors  # no «database is locked»
    assert _count(url) == 3 * rounds  # no update lost


def test_a_writer_waits_for_another_process_and_goes_in_when_it_lets_go(tmp_path: Path) -> None:
    url = _counter_database(tmp_path / "shared.db")
    path = lock_file_path(str(tmp_path / "shared.db"), "writer")
    assert path is not None
    holder = _holding(path)

    async def write() -> tuple[bool, float]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                waiting = asyncio.ensure_future(
                    session.execute(text("UPDATE counter SET n = n + 1"))
                )
                await asyncio.sleep(0.3)
                blocked = not waiting.done()
                holder.send_signal(signal.SIGKILL)  # the kernel lets the dead one's lock go
                started = time.monotonic()
                await asyncio.wait_for(waiting, 10)
                await session.commit()
                return blocked, time.monotonic() - started
        finally:
            await database.dispose()

    try:
        blocked, _ = asyncio.run(write())
    finally:
        holder.kill()
        holder.wait()
    assert blocked
    assert _count(url) == 1


def test_a_writer_that_gives_up_waiting_leaves_the_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "x.db-writer"
    holder = _holding(path)

    async def give_up_then_take() -> bool:
        lock = WriteLock(path)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await lock.acquire()
        assert not lock.locked()  # the process's own lock is given back too
        holder.send_signal(signal.SIGKILL)
        # the abandoned wait's thread takes the file's lock once it is free and lets it go:
        # another holder gets it
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fd = try_lock_file(path)
            if fd is not None:
                os.close(fd)
                break
            await asyncio.sleep(0.01)
        else:
            return False
        async with lock:
            return lock.locked()

    try:
        assert asyncio.run(give_up_then_take())
    finally:
        holder.kill()
        holder.wait()


def _waiting_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "sqlite-write-lock"]


def test_the_waits_of_a_lock_share_one_thread_which_ends_with_the_lock(tmp_path: Path) -> None:
    # two locks on one file in one process conflict as two processes' do (a ``flock`` is held
    # by an open file): ``other`` plays the other process
    path = tmp_path / "x.db-writer"
    seen: list[threading.Thread] = []  # kept: no thread object's id is reused
    earlier = set(_waiting_threads())  # other tests' locks not yet collected

    async def take_turns() -> int:
        other, lock = WriteLock(path), WriteLock(path)
        for _ in range(20):
            await other.acquire()
            waiting = asyncio.ensure_future(lock.acquire())
            await asyncio.sleep(0.01)
            assert not waiting.done()  # it waits for the file, in the thread
            seen.extend(set(_waiting_threads()) - earlier)
            other.release()
            await asyncio.wait_for(waiting, 5)
            assert lock.locked()
            lock.release()
        # its use, as /metrics reports it: every turn found the other holding the file
        assert lock.stats.acquisitions == lock.stats.other_process_waits == 20
        assert lock.stats.wait_seconds >= 20 * 0.01
        assert 0 < lock.stats.held_seconds < lock.stats.wait_seconds
        return len(set(_waiting_threads()) - earlier)

    alive = asyncio.run(take_turns())
    assert len({id(thread) for thread in seen}) == 1
    assert alive == 1
    gc.collect()  # the locks are gone: so is the thread
    seen[0].join(5)
    assert not seen[0].is_alive()


def test_a_wait_given_up_leaves_the_lock_to_the_writer_after_it(tmp_path: Path) -> None:
    path = tmp_path / "x.db-writer"

    async def give_up_then_next() -> tuple[int | None, int | None]:
        other, lock = WriteLock(path), WriteLock(path)
        await other.acquire()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await lock.acquire()
        # the process's next writer waits behind the given-up wait, which the thread still
        # serves first: once the file is free it takes it, for nobody, then for this writer
        following = asyncio.ensure_future(lock.acquire())
        await asyncio.sleep(0.05)
        assert not following.done()
        other.release()
        await asyncio.wait_for(following, 5)
        # the given-up wait's answer came before this writer's: it has let nothing go
        while_held = try_lock_file(path)
        lock.release()
        after = try_lock_file(path)
        return while_held, after

    while_held, after = asyncio.run(give_up_then_next())
    assert while_held is None
    assert after is not None
    os.close(after)


def test_a_database_without_a_file_has_only_the_process_lock() -> None:
    assert lock_file_path(":memory:", "writer") is None
    assert lock_file_path(None, "writer") is None
    assert lock_file_path("file:x?mode=memory", "writer") is None

    async def main() -> tuple[bool, bool, type]:
        lock = WriteLock(None)
        async with lock:
            held = lock.locked()
        engine = create_async_engine("sqlite+aiosqlite://")
        try:
            return held, lock.locked(), type(lease_for(engine))
        finally:
            await engine.dispose()

    assert asyncio.run(main()) == (True, False, SoleProcessLease)


def test_the_leader_lease_has_one_holder_and_moves_when_it_is_killed(tmp_path: Path) -> None:
    database_file = tmp_path / "shared.db"

    async def main() -> None:
        database = Database(f"sqlite+aiosqlite:///{database_file}")
        try:
            first, second = lease_for(database.engine), lease_for(database.engine)
            assert isinstance(first, FileLease)
            assert await first.acquire()
            assert await first.still_held()
            assert not await second.acquire()  # one holder, even within a process
            await first.release()
            assert await second.acquire()
            await second.release()
        finally:
            await database.dispose()

    asyncio.run(main())
    path = lock_file_path(str(database_file), "leader")
    assert path is not None
    holder = _holding(path)
    lease = FileLease(path)
    try:
        assert not asyncio.run(lease.acquire())
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert asyncio.run(lease.acquire())  # a dead holder's lease is free at once
    finally:
        holder.kill()
        holder.wait()
        asyncio.run(lease.release())
