"""A pooled PostgreSQL connection is pinged only after it lay unused for
``ping_after_idle`` seconds (``store.db``): one returned a moment ago is handed out as is, an
idle dead one is replaced before use, and a dead one inside the window costs at most the one
session that meets it (the pool is then renewed)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from marketdesk.store.db import Database
from tests.conftest import PG_ENV, TestDatabase

needs_pg = pytest.mark.skipif(not os.environ.get(PG_ENV), reason="PostgreSQL not configured")

_PID = text("SELECT pg_backend_pid()")


@pytest.fixture
def pg(make_database: Callable[[str], TestDatabase]) -> TestDatabase:
    return make_database("postgresql")


async def _backend_pid(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(_PID) or 0)


async def _terminate(admin: Database, pid: int) -> None:
    async with admin.engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await connection.commit()
    await asyncio.sleep(0.1)  # the backend is gone before the next checkout


def _count_pings(database: Database) -> list[int]:
    """Every ping the dialect sends, whoever asks for it (ours, or a ``pool_pre_ping``)."""
    dialect = database.engine.sync_engine.dialect
    ping = dialect.do_ping
    sent = [0]

    def counted(dbapi_connection: Any) -> bool:
        sent[0] += 1
        return ping(dbapi_connection)

    dialect.do_ping = counted  # type: ignore[method-assign]
    return sent


@needs_pg
def test_a_connection_used_a_moment_ago_is_not_pinged_an_idle_one_is(pg: TestDatabase) -> None:
    async def main() -> tuple[int, int, int, set[int]]:
        database = Database(pg.url, pool_size=1, max_overflow=0, ping_after_idle=0.3)
        sent = _count_pings(database)
        try:
            pids = {await _backend_pid(database) for _ in range(20)}
            busy = sent[0]
            await asyncio.sleep(0.4)
            pids.add(await _backend_pid(database))
            return busy, sent[0], database.pings, pids
        finally:
            await database.dispose()

    busy, after_idle, counted, pids = asyncio.run(main())
    assert busy == 0  # twenty sessions in a row, no ping
    assert after_idle == counted == 1  # the one after the pause pinged
    assert len(pids) == 1  # and all of them used the one pooled connection


@needs_pg
def test_zero_pings_on_every_checkout(pg: TestDatabase) -> None:
    async def main() -> int:
        database = Database(pg.url, pool_size=1, max_overflow=0, ping_after_idle=0)
        try:
            for _ in range(5):
                await _backend_pid(database)
            return database.pings
        finally:
            await database.dispose()

    assert asyncio.run(main()) == 4  # the first checkout is a new connection: nothing to ping


@needs_pg
def test_an_idle_dead_connection_is_replaced_before_use(pg: TestDatabase) -> None:
    async def main() -> tuple[int, int, int]:
        database = Database(pg.url, pool_size=1, max_overflow=0, ping_after_idle=0.2)
        admin = Database(pg.url)
        try:
            first = await _backend_pid(database)
            await _terminate(admin, first)  # PostgreSQL restarted, or the link dropped
            await asyncio.sleep(0.3)
            second = await _backend_pid(database)  # no error reaches the session
            return first, second, database.pings
        finally:
            await database.dispose()
            await admin.dispose()

    first, second, pings = asyncio.run(main())
    assert second != first
    assert pings == 1


@needs_pg
def test_a_dead_connection_inside_the_window_fails_one_session_then_the_pool_renews(
    pg: TestDatabase,
) -> None:
    async def main() -> tuple[list[bool], set[int]]:
        database = Database(pg.url, pool_size=3, max_overflow=0, ping_after_idle=60)
        admin = Database(pg.url)
        try:
            # three pooled connections, all killed at once (as by a restart of PostgreSQL)
            sessions = [database.sessions() for _ in range(3)]
            held = [await session.__aenter__() for session in sessions]
            pids = [int(await s.scalar(_PID) or 0) for s in held]
            for session in sessions:
                await session.__aexit__(None, None, None)
            for pid in pids:
                await _terminate(admin, pid)
            outcomes: list[bool] = []
            fresh: set[int] = set()
            for _ in range(5):
                try:
                    fresh.add(await _backend_pid(database))
                    outcomes.append(True)
                except Exception:
                    outcomes.append(False)
            return outcomes, fresh - set(pids)
        finally:
            await database.dispose()
            await admin.dispose()

    outcomes, fresh = asyncio.run(main())
    assert outcomes.count(False) == 1  # the session that met a dead connection
    assert outcomes[-4:] == [True] * 4  # the whole pool was renewed after it
    assert len(fresh) >= 1
