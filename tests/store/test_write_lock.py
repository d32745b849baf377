"""The SQLite write lock of a process and the connection pool do not deadlock: a writer
takes its connection before the lock, so a holder of the lock never waits for the pool that
the writers queued behind it have emptied."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from marketdesk.store import db as store_db
from marketdesk.store.db import SQLITE_PRAGMAS, Database
from marketdesk.store.transactions import Session, serialized


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "t"

    v: Mapped[str] = mapped_column(primary_key=True)
    n: Mapped[int]


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


def test_every_session_write_takes_the_lock_so_no_writer_meets_a_locked_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain sessions (no ``@serialized``) writing side by side: with SQLite's busy handler
    switched off, a writer that reached SQLite while another held its write lock would fail
    at once with «database is locked». Each takes the process's lock at its first write
    (a flush, an autoflush before a read, a DML statement) and gives it back at the end."""
    monkeypatch.setattr(
        store_db,
        "SQLITE_PRAGMAS",
        tuple("PRAGMA busy_timeout=0" if "busy_timeout" in p else p for p in SQLITE_PRAGMAS),
    )

    async def main() -> int:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
        try:
            async with database.engine.begin() as connection:
                await connection.execute(text("CREATE TABLE t (v TEXT, n INTEGER)"))

            async def by_statement(i: int) -> None:  # a DML statement first
                async with database.sessions() as session:
                    await session.execute(text("INSERT INTO t VALUES (:v, 0)"), {"v": f"s{i}"})
                    await asyncio.sleep(0)  # others come for the lock meanwhile
                    await session.execute(
                        text("UPDATE t SET n = n + 1 WHERE v = :v"), {"v": f"s{i}"}
                    )
                    await session.commit()

            async def by_read_after_pending(i: int) -> None:  # a read autoflushes a new row
                async with database.sessions() as session:
                    await session.execute(text("SELECT count(*) FROM t"))
                    session.add(_Row(v=f"r{i}", n=1))
                    await asyncio.sleep(0)
                    await session.scalar(text("SELECT count(*) FROM t"))
                    await session.commit()

            async def by_returning(i: int) -> None:  # a write read back through scalar()
                async with database.sessions() as session:
                    await session.scalar(
                        text("INSERT INTO t VALUES (:v, 4) RETURNING v"), {"v": f"q{i}"}
                    )
                    await asyncio.sleep(0)
                    await session.commit()

            async def rolled_back(i: int) -> None:  # gives the lock back on rollback
                async with database.sessions() as session:
                    await session.execute(text("INSERT INTO t VALUES (:v, 2)"), {"v": f"x{i}"})
                    await session.rollback()

            async def closed(i: int) -> None:  # …and when closed mid-transaction
                async with database.sessions() as session:
                    await session.execute(text("INSERT INTO t VALUES (:v, 3)"), {"v": f"c{i}"})

            work = [
                one(i)
                for i in range(12)
                for one in (by_statement, by_read_after_pending, by_returning, rolled_back, closed)
            ]
            await asyncio.wait_for(asyncio.gather(*work), timeout=60)
            async with database.sessions() as session:
                return int(await session.scalar(text("SELECT count(*) FROM t")) or 0)
        finally:
            await database.dispose()

    assert asyncio.run(main()) == 36  # the statements', reads' and returnings' 12 each; no more


def test_a_select_for_update_takes_the_lock_so_read_then_write_loses_nothing(
    tmp_path: Path,
) -> None:
    """``SELECT … FOR UPDATE`` reads what the transaction will write: PostgreSQL locks the
    row; on SQLite the session takes the write lock there, so writers that read, decide and
    write side by side take turns (by ``select``, and by ``get(…, with_for_update=True)``).
    Without it both would read the same value and one increment would be lost."""

    async def main() -> tuple[int, bool]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'counter.db'}")
        try:
            async with database.engine.begin() as connection:
                await connection.execute(text("CREATE TABLE t (v TEXT PRIMARY KEY, n INTEGER)"))
                await connection.execute(text("INSERT INTO t VALUES ('a', 0)"))

            held = False

            async def by_select() -> None:
                nonlocal held
                async with database.sessions() as session:
                    row = await session.scalar(select(_Row).where(_Row.v == "a").with_for_update())
                    assert row is not None
                    held = held or bool(session._write_lock and session._write_lock.locked())
                    n = row.n
                    await asyncio.sleep(0.001)  # the others read meanwhile, unless they wait
                    row.n = n + 1
                    await session.commit()

            async def by_get() -> None:
                async with database.sessions() as session:
                    row = await session.get(_Row, "a", with_for_update=True)
                    assert row is not None
                    n = row.n
                    await asyncio.sleep(0.001)
                    row.n = n + 1
                    await session.commit()

            await asyncio.wait_for(
                asyncio.gather(*(one() for _ in range(10) for one in (by_select, by_get))), 60
            )
            async with database.sessions() as session:
                return int(await session.scalar(text("SELECT n FROM t")) or 0), held
        finally:
            await database.dispose()

    assert asyncio.run(main()) == (20, True)
