"""A server's SQLite file has its WAL checkpointed in a thread of its own (``store/wal.py``),
not in its writers' commits: the connections turn SQLite's automatic checkpoint off, and the
WAL still starts again from its beginning once the thread has copied it back."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import text

from marketdesk.store.db import Database
from marketdesk.store.wal import WalCheckpointer


async def _autocheckpoint(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one())


def test_a_servers_connections_leave_the_checkpoints_to_the_thread(tmp_path: Path) -> None:
    async def main() -> tuple[int, int, int]:
        server = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", background_checkpoints=True)
        other = Database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
        try:
            assert other.checkpointer is None
            assert server.checkpointer is not None
            # the writer thread's connection (the chat's batches) too
            in_writer = await server.run_sync(
                lambda connection: int(
                    connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
                )
            )
            return await _autocheckpoint(server), in_writer, await _autocheckpoint(other)
        finally:
            await server.dispose()
            await other.dispose()

    assert asyncio.run(main()) == (0, 0, 1000)


def _wait_for_runs(checkpointer: WalCheckpointer, runs: int) -> None:
    deadline = time.monotonic() + 20
    while checkpointer.runs < runs and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_wal_is_copied_back_and_starts_again_without_the_writers(tmp_path: Path) -> None:
    async def main() -> int:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", background_checkpoints=True)
        checkpointer = database.checkpointer
        assert checkpointer is not None
        try:
            async with database.sessions() as session:
                await session.execute(text("CREATE TABLE t (n INTEGER)"))
                await session.commit()
                for n in range(1500):  # a page or more of WAL each
                    await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                    await session.commit()
            await asyncio.to_thread(_wait_for_runs, checkpointer, checkpointer.runs + 2)
            async with database.sessions() as session:
                await session.execute(text("INSERT INTO t VALUES (-1)"))  # the WAL restarts
                await session.commit()
                busy, frames, _copied = (
                    await session.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
                ).one()
                assert busy == 0
                return int(frames)
        finally:
            await database.dispose()

    # the WAL holds the last write only: the thread had copied the 1 500 commits back
    assert asyncio.run(main()) < 20
