"""The background work that runs once across server processes (``workers.leadership``):
one lease holder at a time on PostgreSQL, taken over when the holder's connection dies (a
process killed), and on a SQLite file by the holder of a file lock beside it; ``serve
--workers N`` refused where it cannot work, and with Redis, on PostgreSQL and on a SQLite
file, N processes with one leader (on SQLite also one writer at a time: nothing lost or out
of order under concurrent writes to both processes), each listening on a socket of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from marketdesk.store.db import Database
from marketdesk.store.leases import (
    LEADER_LOCK_KEY,
    AdvisoryLease,
    FileLease,
    SoleProcessLease,
    lease_for,
)
from marketdesk.workers.leadership import run_while_leader
from tests.chat.servers import REDIS_URL, Server, redis_available
from tests.conftest import PG_ENV, TestDatabase, prepare, wait_for

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


def test_a_sqlite_file_is_led_by_the_holder_of_its_leader_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def main() -> tuple[type, bool, bool, bool]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
        first, second = lease_for(database.engine), lease_for(database.engine)
        try:
            return (
                type(first),
                await first.acquire(),
                await first.still_held(),
                await second.acquire(),
            )
        finally:
            await first.release()
            await database.dispose()

    assert asyncio.run(main()) == (FileLease, True, True, False)
    assert (tmp_path / "x.db-leader").exists()


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


def test_several_processes_are_refused_without_redis_and_on_sqlite_in_memory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli import run

    for database_url in ("", "postgresql://root@127.0.0.1:5432/none"):
        env = {"MARKETDESK_DATABASE_URL": database_url} if database_url else {}
        without_redis = run("serve", "--workers", "2", data_dir=tmp_path, check=False, env=env)
        assert without_redis.returncode == 1
        assert "MARKETDESK_REDIS_URL" in without_redis.stderr
        assert "Traceback" not in without_redis.stderr
    in_memory = run(
        "serve",
        "--workers",
        "2",
        data_dir=tmp_path,
        check=False,
        env={"MARKETDESK_DATABASE_URL": "sqlite:///:memory:", "MARKETDESK_REDIS_URL": REDIS_URL},
    )
    assert in_memory.returncode == 1
    assert "в памяти" in in_memory.stderr
    assert "Traceback" not in in_memory.stderr


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

        def server_processes() -> int:
            return len(server.workers())

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


def _holders_of(path: Path) -> set[int]:
    """The processes holding a ``flock`` on ``path`` (``/proc/locks``: ``FLOCK … pid
    major:minor:inode``)."""
    inode = path.stat().st_ino
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and "->" not in fields and fields[-3].split(":")[-1] == str(inode):
            holders.add(int(fields[-4]))
    return holders


@pytest.mark.slow
def test_serve_with_two_workers_on_sqlite_has_one_leader_and_one_writer_at_a_time(
    make_database: Callable[[str], TestDatabase], tmp_path: Path
) -> None:
    if not redis_available():
        pytest.skip("no Redis at " + REDIS_URL)
    database = make_database("sqlite")
    server = Server(tmp_path, database.url, redis_url=REDIS_URL, args=("--workers", "2"))
    server.start()
    try:
        workers = server.workers
        deadline = time.monotonic() + 30
        while len(workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers()) == 2
        leader_file = Path(database.url.split("///", 1)[1] + "-leader")
        while not leader_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # both have tried by now (the lease is tried at the start)
        holders = _holders_of(leader_file)
        assert len(holders) == 1 and holders <= workers()  # exactly one of them leads

        # writes to both processes at once: tasks, and one conversation's messages
        token = server.login("backoffice")
        visitor = server.visitor()
        opened = server.post("/api/v1/conversations", visitor, {"line": "general"})
        assert opened.status_code == 201, opened.text
        conversation = opened.json()["id"]

        def create_task(i: int) -> httpx.Response:
            return server.post("/api/v1/tasks", token, {"queue": "Жалобы", "title": f"Заявка {i}"})

        def send(i: int) -> httpx.Response:
            return server.post(
                f"/api/v1/conversations/{conversation}/messages",
                visitor,
                {"client_msg_id": f"m-{i}", "text": f"Вопрос номер {i}"},
            )

        with ThreadPoolExecutor(16) as pool:
            created = list(pool.map(create_task, range(40)))
            sent = list(pool.map(send, range(40)))
        assert [r.status_code for r in created] == [201] * 40, created[0].text
        assert len({r.json()["number"] for r in created}) == 40
        assert {r.status_code for r in sent} <= {200, 201}, [r.text for r in sent]
        messages: list[dict[str, Any]] = []
        while True:  # every page
            page = server.get(
                f"/api/v1/conversations/{conversation}/messages",
                visitor,
                after_seq=messages[-1]["seq"] if messages else 0,
            ).json()["messages"]
            if not page:
                break
            messages += page
        seqs = [m["seq"] for m in messages]
        assert seqs == list(range(1, len(seqs) + 1))  # one order, no gap, no repeat
        mine = [m["client_msg_id"] for m in messages if m["sender_kind"] == "visitor"]
        assert sorted(mine) == sorted(f"m-{i}" for i in range(40))  # each stored once
        assert "database is locked" not in server.log_path.read_text()

        # each process listens on a socket of its own (``marketdesk.listening``), where
        # one shared socket let the first process to wake accept every connection waiting;
        # sixteen keep-alive connections opened at once land on both
        listening = {pid: _sockets_of(pid, server.port, LISTEN) for pid in workers()}
        assert all(len(inodes) == 1 for inodes in listening.values()), listening
        assert len(set().union(*listening.values())) == 2, listening
        spread = _connections_of(server.port, workers(), count=16)
        assert sum(spread.values()) == 16, spread
        assert all(spread.values()), spread
    finally:
        server.stop()


def _connections_of(port: int, pids: set[int], *, count: int) -> dict[int, int]:
    """Open ``count`` connections to ``port`` at once and count the ones each of ``pids``
    has accepted (its sockets' inodes among the established ones), then a request answered
    on each (after which a process over its share may close some: connection_balance)."""
    import select
    import socket

    clients = [socket.socket() for _ in range(count)]
    try:
        for client in clients:  # every connection under way before any is accepted
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
        for client in clients:
            select.select([], [client], [], 10)
            client.setblocking(True)
            client.settimeout(10)

        def held() -> dict[int, int]:
            return {pid: len(_sockets_of(pid, port, ESTABLISHED)) for pid in pids}

        wait_for(lambda: sum(held().values()) >= count, f"{count} connections accepted")
        spread = held()
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 ")
        return spread
    finally:
        for client in clients:
            client.close()


ESTABLISHED, LISTEN = "01", "0A"  # TCP states in /proc/net/tcp


def _listening_workers(server: Server, count: int, *, limit: float) -> set[int]:
    """The pids of ``serve --workers count``'s processes, once each listens on the port."""
    wait_for(lambda: len(server.workers()) == count, f"{count} workers", limit=limit)
    pids = server.workers()
    wait_for(
        lambda: all(_sockets_of(pid, server.port, LISTEN) for pid in pids), "listen", limit=limit
    )
    return pids


def _sockets_of(pid: int, port: int, state: str) -> set[str]:
    """The inodes of the TCP sockets of ``pid`` on local ``port`` in ``state``."""
    on_port = {
        fields[9]
        for fields in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
        if fields[1].endswith(f":{port:04X}") and fields[3] == state
    }
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes & on_port
