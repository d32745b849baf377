"""Benchmark (not a test): the live chat under load, on one ``marketdesk serve`` process.

    .venv/bin/python bench/chat.py [--chats 1000] [--messages 20] [--idle 1000] [--think 0]
                                   [--backend sqlite|postgresql|both] [--pg postgresql://...]

``--think 0`` (the default) saturates the server: every customer sends its next message as
soon as the previous one is acknowledged and echoed — the sustained throughput. With
``--think S`` each customer waits about S seconds between messages (a person typing; the
first message after a random part of S, so that the customers are spread out): the latency
at a steady offered load of ``chats / S`` customer messages a second (plus the echoes).

For each database (SQLite always; PostgreSQL with --pg or MARKETDESK_TEST_DATABASE_URL) it
creates a fresh database, starts one real server process on it, and:

1. opens ``--chats`` WebSocket customers; each conversation is handed to an operator (bench
   operators with capacity 50, available) and every customer sends ``--messages`` messages,
   one after another: send, wait for the server's ack (the message is committed), wait for
   the operator's echo; one client process drives echoing operators on ``/ws/operator``
   sockets that answer every customer message over their socket (also committed);
2. reports sustained durable messages per second (customer + echo, all acknowledged after
   commit), and p50/p99 from a customer's send to the operator's socket receiving it;
3. (first, on the fresh server) opens ``--idle`` authenticated, idle conversation sockets
   and reports the server's resident memory per 1 000 of them;
4. measures, in the same run, the raw commit rate of the same database from a plain driver
   loop (one INSERT + COMMIT at a time; SQLite in WAL with the server's pragmas; PostgreSQL
   over asyncpg, one connection and 16 connections): the ceiling.

The server takes its settings from the environment too: ``MARKETDESK_SLA_CLOCKS=false``
measures the chat without the service-level clocks (the code before them had none).

The bench clients turn off permessage-deflate (browsers negotiate it; it costs CPU on both
ends). Prints a Markdown table and writes bench/results/chat.json (chat-thinkS.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import ServerProcess, cpu_seconds, rss_kb  # noqa: E402
from bench.stats import percentile  # noqa: E402
from marketdesk.services import auth  # noqa: E402
from marketdesk.settings import normalize_database_url  # noqa: E402
from marketdesk.store.db import SQLITE_PRAGMAS, Database  # noqa: E402
from marketdesk.store.models import (  # noqa: E402
    Operator,
    OperatorLine,
    OperatorPresence,
    OperatorRole,
)
from marketdesk.store.postgres import create_database, drop_database  # noqa: E402

OPERATOR_CAPACITY = 50


async def make_operators(database_url: str, count: int) -> list[str]:
    """Bench operators of the general line, available, capacity 50 each → their tokens."""
    database = Database(normalize_database_url(database_url))
    tokens = []
    try:
        async with database.sessions() as session:
            for _ in range(count):
                login = f"bench-{uuid.uuid4().hex[:8]}"
                operator = Operator(
                    login=login,
                    password_hash=auth.hash_password(uuid.uuid4().hex),
                    full_name=f"Эхо {login}",
                    chat_capacity=OPERATOR_CAPACITY,
                )
                session.add(operator)
                await session.flush()
                session.add(OperatorRole(operator_id=operator.id, role="operator"))
                session.add(OperatorLine(operator_id=operator.id, line="general"))
                session.add(OperatorPresence(operator_id=operator.id, available=True))
                await session.commit()
                tokens.append(await auth.token_for_operator(session, login, ttl=timedelta(hours=2)))
    finally:
        await database.dispose()
    return tokens


@dataclass
class Stats:
    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    acked: int = 0
    echoes_acked: int = 0
    errors: int = 0


async def echo_operator(
    ws_url: str, token: str, stats: Stats, stop: asyncio.Event, ready_count: list[int]
) -> None:
    async with connect(f"{ws_url}/ws/operator", max_queue=None, compression=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        ready_count[0] += 1
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            frame = json.loads(raw)
            if frame["type"] == "ack":
                stats.echoes_acked += 1
                continue
            if frame["type"] == "error":
                stats.errors += 1
                continue
            if frame["type"] != "message":
                continue
            message = frame["message"]
            if message["sender_kind"] not in ("visitor", "customer"):
                continue
            sent = stats.sent_at.pop(message["client_msg_id"], None)
            if sent is not None:
                stats.latencies.append(time.perf_counter() - sent)
            await ws.send(
                json.dumps(
                    {
                        "type": "message",
                        "conversation_id": message["conversation_id"],
                        "client_msg_id": "echo-" + message["client_msg_id"],
                        "text": message["text"],
                    }
                )
            )


async def customer(
    ws_url: str,
    token: str,
    cid: int,
    last_seq: int,
    messages: int,
    stats: Stats,
    start: asyncio.Event,
    ready_count: list[int],
    think: float = 0.0,
) -> None:
    async with connect(f"{ws_url}/ws/conversations/{cid}", max_queue=None, compression=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token, "last_seq": last_seq}))
        assert json.loads(await ws.recv())["type"] == "ready"
        ready_count[0] += 1
        await start.wait()
        for n in range(messages):
            if think:  # a person types: the offered load is chats / think messages a second
                # the first message after a random share of one pause, so that customers are
                # spread out as in real traffic instead of their first messages coming in
                # one wave (the waves of first and second messages would overlap at 1.5×)
                pause = random.uniform(0, think) if n == 0 else think * random.uniform(0.5, 1.5)
                await asyncio.sleep(pause)
            client_msg_id = f"c{cid}-{n}"
            stats.sent_at[client_msg_id] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {"type": "message", "client_msg_id": client_msg_id, "text": f"Вопрос {n}"}
                )
            )
            acked = echoed = False
            while not (acked and echoed):
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                except TimeoutError:  # counted, never waited on forever
                    stats.errors += 1
                    break
                if frame["type"] == "ack" and frame["client_msg_id"] == client_msg_id:
                    acked = True
                    stats.acked += 1
                elif (
                    frame["type"] == "message"
                    and frame["message"].get("client_msg_id") == "echo-" + client_msg_id
                ):
                    echoed = True
                elif frame["type"] == "error":
                    stats.errors += 1
                    acked = echoed = True


async def prepare_chats(server: ServerProcess, chats: int) -> list[tuple[str, int, int]]:
    out = []
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        semaphore = asyncio.Semaphore(32)

        async def one() -> tuple[str, int, int]:
            async with semaphore:
                answer = await http.post("/api/v1/visitors")
                assert answer.status_code == 201, answer.text
                token = answer.json()["token"]
                headers = {"Authorization": f"Bearer {token}"}
                created = await http.post(
                    "/api/v1/conversations", json={"line": "general"}, headers=headers
                )
                cid = created.json()["id"]
                view = (
                    await http.post(f"/api/v1/conversations/{cid}/handoff", headers=headers)
                ).json()
                assert view.get("status") == "assigned", view
                return token, cid, int(view["last_seq"])

        out = await asyncio.gather(*(one() for _ in range(chats)))
    return list(out)


async def idle_memory(server: ServerProcess, idle: int) -> dict[str, Any]:
    assert server.process is not None
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        token = (await http.post("/api/v1/visitors")).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        cid = (
            await http.post("/api/v1/conversations", json={"line": "general"}, headers=headers)
        ).json()["id"]
    await asyncio.sleep(1)
    before = rss_kb(server.process.pid)
    sockets: list[ClientConnection] = []
    semaphore = asyncio.Semaphore(100)

    async def open_one() -> None:
        async with semaphore:
            ws = await connect(
                f"ws://127.0.0.1:{server.port}/ws/conversations/{cid}", compression=None
            )
            await ws.send(json.dumps({"type": "auth", "token": token, "last_seq": 0}))
            assert json.loads(await ws.recv())["type"] == "ready"
            sockets.append(ws)

    started = time.perf_counter()
    await asyncio.gather(*(open_one() for _ in range(idle)))
    opened_in = time.perf_counter() - started
    await asyncio.sleep(2)
    after = rss_kb(server.process.pid)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    per_1000_mb = (after - before) / 1024 / idle * 1000
    return {
        "idle_sockets": idle,
        "rss_before_mb": round(before / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "mb_per_1000_sockets": round(per_1000_mb, 2),
        "open_seconds": round(opened_in, 2),
    }


def raw_sqlite(path: Path, seconds: float = 3.0) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:  # the server's: WAL, synchronous=FULL
        conn.execute(pragma)
    conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, body TEXT)")
    n = 0
    end = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < end:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO bench_raw (body) VALUES (?)", (f"Вопрос {n}",))
        conn.execute("COMMIT")
        n += 1
    rate = n / (time.perf_counter() - started)
    conn.execute("DROP TABLE bench_raw")
    conn.close()
    return rate


async def raw_postgres(url: str, connections: int, seconds: float = 3.0) -> float:
    import asyncpg

    parsed = make_url(normalize_database_url(url))
    params = {
        "host": parsed.host,
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    setup = await asyncpg.connect(**params)
    await setup.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, body TEXT)"
    )
    count = [0]
    end = time.perf_counter() + seconds

    async def loop() -> None:
        conn = await asyncpg.connect(**params)
        try:
            while time.perf_counter() < end:
                async with conn.transaction():
                    await conn.execute("INSERT INTO bench_raw (body) VALUES ($1)", "Вопрос")
                count[0] += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    rate = count[0] / (time.perf_counter() - started)
    await setup.execute("DROP TABLE bench_raw")
    await setup.close()
    return rate


async def run_backend(
    backend: str, pg_url: str | None, chats: int, messages: int, idle: int, think: float
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"marketdesk-bench-{backend}-"))
    pg_name = None
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        assert pg_url is not None
        pg_name = f"marketdesk_bench_{uuid.uuid4().hex[:10]}"
        raw_db = await create_database(pg_url, pg_name)
        database_url = (
            make_url(raw_db).set(drivername="postgresql").render_as_string(hide_password=False)
        )
    server = ServerProcess(tmp, database_url)
    try:
        server.start()
        # memory first, on a server that has not yet grown its heap for the chat phase
        memory = await idle_memory(server, idle)
        operator_tokens = await make_operators(database_url, max(1, -(-chats // OPERATOR_CAPACITY)))
        prepared = await prepare_chats(server, chats)
        ws_url = f"ws://127.0.0.1:{server.port}"
        stats = Stats()
        stop = asyncio.Event()
        start = asyncio.Event()
        ready_count = [0]
        echo_tasks = [
            asyncio.create_task(echo_operator(ws_url, token, stats, stop, ready_count))
            for token in operator_tokens
        ]
        customer_tasks = [
            asyncio.create_task(
                customer(ws_url, token, cid, seq, messages, stats, start, ready_count, think)
            )
            for token, cid, seq in prepared
        ]
        # every socket connected and subscribed before the first message
        while ready_count[0] < len(echo_tasks) + len(customer_tasks):
            failed = [t for t in echo_tasks + customer_tasks if t.done() and t.exception()]
            if failed:  # a socket that could not connect: say why instead of waiting forever
                raise RuntimeError(f"{len(failed)} sockets failed") from failed[0].exception()
            await asyncio.sleep(0.05)
        assert server.process is not None
        print(f"{backend}: messages flowing (server pid {server.process.pid})", file=sys.stderr)
        cpu_before = cpu_seconds(server.process.pid)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*customer_tasks)
        elapsed = time.perf_counter() - began
        server_cpu = cpu_seconds(server.process.pid) - cpu_before
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*echo_tasks, return_exceptions=True)
        latencies_ms = [x * 1000 for x in stats.latencies]
        result: dict[str, Any] = {
            "backend": backend,
            "chats": chats,
            "messages_per_chat": messages,
            "think_seconds": think,
            "customer_messages_acked": stats.acked,
            "echo_messages_acked": stats.echoes_acked,
            "errors": stats.errors,
            "seconds": round(elapsed, 2),
            "durable_msgs_per_s": round((stats.acked + stats.echoes_acked) / elapsed, 1),
            "server_cpu_share": round(server_cpu / elapsed, 2),
            "server_cpu_ms_per_msg": round(
                server_cpu * 1000 / max(1, stats.acked + stats.echoes_acked), 2
            ),
            "customer_msgs_per_s": round(stats.acked / elapsed, 1),
            "send_to_operator_p50_ms": round(percentile(latencies_ms, 50), 2),
            "send_to_operator_p99_ms": round(percentile(latencies_ms, 99), 2),
            **memory,
        }
    finally:
        server.stop()
    if backend == "sqlite":
        result["raw_commits_per_s"] = round(raw_sqlite(tmp / "raw.db"), 1)
    else:
        assert pg_url is not None and pg_name is not None
        result["raw_commits_per_s"] = round(await raw_postgres(raw_db, 1), 1)
        result["raw_commits_per_s_16_connections"] = round(await raw_postgres(raw_db, 16), 1)
        await drop_database(pg_url, pg_name)
    result["durable_vs_raw"] = round(result["durable_msgs_per_s"] / result["raw_commits_per_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds between a customer's messages (0: as fast as acks come back)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not args.pg:
        print("PostgreSQL skipped: give --pg or MARKETDESK_TEST_DATABASE_URL", file=sys.stderr)
        backends.remove("postgresql")
    results = [
        asyncio.run(run_backend(b, args.pg, args.chats, args.messages, args.idle, args.think))
        for b in backends
    ]
    columns = [
        ("backend", "backend"),
        ("chats", "chats"),
        ("think s", "think_seconds"),
        ("durable msg/s", "durable_msgs_per_s"),
        ("raw commits/s", "raw_commits_per_s"),
        ("durable/raw", "durable_vs_raw"),
        ("server CPU ms/msg", "server_cpu_ms_per_msg"),
        ("p50 ms", "send_to_operator_p50_ms"),
        ("p99 ms", "send_to_operator_p99_ms"),
        ("MB / 1000 idle sockets", "mb_per_1000_sockets"),
        ("errors", "errors"),
    ]
    print("| " + " | ".join(title for title, _ in columns) + " |")
    print("|" + "---|" * len(columns))
    for r in results:
        print("| " + " | ".join(str(r.get(key, "")) for _, key in columns) + " |")
    suffix = "" if not args.think else f"-think{args.think:g}"
    out = ROOT / "bench" / "results" / f"chat{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "results": results,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
