"""The background work that runs once across server processes (``workers.leadership``):
one lease holder at a time on PostgreSQL, taken over when the holder's connection dies (a
process killed), always held by SQLite's one process; ``serve --workers N`` refused where it
cannot work, and on PostgreSQL with Redis N processes with one leader."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from marketdesk.store.db import Database
from marketdesk.store.leases import LEADER_LOCK_KEY, AdvisoryLease, SoleProcessLease, lease_for
from marketdesk.workers.leadership import run_while_leader
from tests.chat.servers import REDIS_URL, Server, redis_available
from tests.conftest import PG_ENV, TestDatabase, prepare

needs_pg = pytest.mark.skipif(not os.environ.get(PG_ENV), reason="PostgreSQL not configured")


@pytest.fixture
def pg(make_database: Callable[[str], TestDatabase]) -> TestDatabase:
    return make_database("postgresql")


async def _terminate_holder(database: Database) -> int:
    """Kill the backend holding the leader lock, as a dead process's connection ends."""
    async with database.engine.connect() as connection:
        killed = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                # advisory locks are per database: other tests' servers hold the same key
                "WHERE locktype = 'advisory' AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": LEADER_LOCK_KEY},
        )
        await connection.commit()
    return int(killed or 0)


@needs_pg
def test_one_holder_and_a_takeover_when_its_connection_dies(pg: TestDatabase) -> None:
    async def main() -> list[bool]:
        first, second, admin = Database(pg.url), Database(pg.url), Database(pg.url)
        a, b = AdvisoryLease(first.engine), AdvisoryLease(second.engine)
        try:
            steps = [await a.acquire(), await b.acquire(), await a.still_held()]
            steps.append(await _terminate_holder(admin) == 1)
            steps += [await a.still_held(), await b.acquire(), await a.acquire()]
            await b.release()
            steps.append(await a.acquire())
            await a.release()
            return steps
        finally:
            for database in (first, second, admin):
                await database.dispose()

    assert asyncio.run(main()) == [True, False, True, True, False, True, False, True]


@needs_pg
def test_the_loops_run_in_one_process_and_move_when_it_stops(pg: TestDatabase) -> None:
    async def main() -> tuple[set[str], set[str]]:
        ran: list[str] = []

        def loop(who: str) -> Callable[[], object]:
            async def tick() -> None:
                while True:
                    ran.append(who)
                    await asyncio.sleep(0.02)

            return tick

        first, second = Database(pg.url), Database(pg.url)
        try:
            leader_a = asyncio.create_task(
                run_while_leader(lease_for(first.engine), {"tick": loop("a")}, retry=0.05)
            )
            await asyncio.sleep(0.3)  # a takes the lease first
            leader_b = asyncio.create_task(
                run_while_leader(lease_for(second.engine), {"tick": loop("b")}, retry=0.05)
            )
            await asyncio.sleep(0.5)
            before = set(ran)
            ran.clear()
            leader_a.cancel()  # the leading process stops: its lock is released
            await asyncio.gather(leader_a, return_exceptions=True)
            await asyncio.sleep(0.1)
            ran.clear()
            await asyncio.sleep(0.5)
            after = set(ran)
            leader_b.cancel()
            await asyncio.gather(leader_b, return_exceptions=True)
            return before, after
        finally:
            await first.dispose()
            await second.dispose()

    before, after = asyncio.run(main())
    assert before == {"a"}
    assert after == {"b"}


def test_sqlite_has_one_process_which_always_leads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def main() -> tuple[type, bool, bool]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        try:
            lease = lease_for(database.engine)
            return type(lease), await lease.acquire(), await lease.still_held()
        finally:
            await database.dispose()

    assert asyncio.run(main()) == (SoleProcessLease, True, True)


def test_a_loop_that_ends_is_started_again() -> None:
    async def main() -> int:
        starts = 0

        async def short() -> None:
            nonlocal starts
            starts += 1

        leader = asyncio.create_task(run_while_leader(SoleProcessLease(), {"x": short}, retry=0.02))
        await asyncio.sleep(0.2)
        leader.cancel()
        await asyncio.gather(leader, return_exceptions=True)
        return starts

    assert asyncio.run(main()) >= 3


def test_several_processes_are_refused_on_sqlite_and_without_redis(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli import run

    on_sqlite = run("serve", "--workers", "2", data_dir=tmp_path, check=False)
    assert on_sqlite.returncode == 1
    assert "только на PostgreSQL" in on_sqlite.stderr
    assert "Traceback" not in on_sqlite.stderr
    without_redis = run(
        "serve",
        "--workers",
        "2",
        data_dir=tmp_path,
        check=False,
        env={"MARKETDESK_DATABASE_URL": "postgresql://root@127.0.0.1:5432/none"},
    )
    assert without_redis.returncode == 1
    assert "MARKETDESK_REDIS_URL" in without_redis.stderr


@needs_pg
@pytest.mark.slow
def test_serve_with_two_workers_on_postgresql_has_one_leader(pg: TestDatabase, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not redis_available():
        pytest.skip("no Redis at " + REDIS_URL)
    prepare(pg.url)
    server = Server(tmp_path, pg.url, redis_url=REDIS_URL, args=("--workers", "2"))
    server.start()
    try:
        token = server.login("supervisor")
        assert server.get("/api/v1/tasks", token).status_code == 200

        async def holders() -> int:
            database = Database(pg.url)
            try:
                async with database.engine.connect() as connection:
                    return int(
                        await connection.scalar(
                            text(
                                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                "AND granted AND ((classid::bigint << 32) | objid::bigint) = :key "
                                "AND database = (SELECT oid FROM pg_database "
                                "WHERE datname = current_database())"
                            ),
                            {"key": LEADER_LOCK_KEY},
                        )
                        or 0
                    )
            finally:
                await database.dispose()

        assert server.process is not None
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")

        def server_processes() -> int:  # uvicorn's spawned workers (not its resource tracker)
            pids = children.read_text().split()
            return sum(b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids)

        deadline = time.monotonic() + 30
        while server_processes() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server_processes() == 2
        while asyncio.run(holders()) != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # both have tried by now (the lease is tried at the start)
        assert asyncio.run(holders()) == 1  # exactly one of them leads
    finally:
        server.stop()
