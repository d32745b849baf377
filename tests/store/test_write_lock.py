"""The SQLite write lock of a process and the connection pool do not deadlock: a writer
takes its connection before the lock, so a holder of the lock never waits for the pool that
the writers queued behind it have emptied."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from marketdesk.store.transactions import Session, serialized


@serialized
async def _write(session: AsyncSession, value: str) -> None:
    await session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
    await session.commit()


def test_a_lock_holder_never_waits_for_an_emptied_pool(tmp_path: Path) -> None:
    async def main() -> list[str]:
        # one connection in the pool, a short wait for it: the deadlock would end in a
        # pool timeout error instead of hanging the test
        engine = create_async_engine(
            f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}",
            pool_size=1,
            max_overflow=0,
            pool_timeout=3,
        )
        sessions = async_sessionmaker(engine, class_=Session, expire_on_commit=False)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TABLE t (v TEXT)"))
            reading = asyncio.Event()

            async def request() -> None:  # a request: reads first (its connection), then writes
                async with sessions() as session:
                    await session.execute(text("SELECT count(*) FROM t"))
                    reading.set()
                    await asyncio.sleep(0.2)  # the worker comes for the lock meanwhile
                    await _write(session, "request")

            async def worker() -> None:  # a background worker: a fresh session, a write
                await reading.wait()
                async with sessions() as session:
                    await _write(session, "worker")

            await asyncio.wait_for(asyncio.gather(request(), worker()), timeout=10)
            async with sessions() as session:
                return sorted((await session.scalars(text("SELECT v FROM t"))).all())
        finally:
            await engine.dispose()

    assert asyncio.run(main()) == ["request", "worker"]
