"""Benchmark (not a test): the back-office workspace's reads over many tasks.

    .venv/bin/python bench/tasks.py [--tasks 100000] [--requests 500] [--pg postgresql://...]
                                    [--pg-only]

For each database (SQLite always; PostgreSQL with --pg or MARKETDESK_TEST_DATABASE_URL) it
creates a fresh database, migrates, loads the demo data and ``--tasks`` generated tasks
spread over the queues, statuses, assignees, creation times and deadlines (about a tenth
overdue, escalated before the reads as the SLA timer would have; on PostgreSQL the table is
then vacuumed and analysed, as autovacuum keeps it in service), then reads over HTTP
(the FastAPI app over an in-process ASGI transport, a bearer token of the back-office
worker), each read as the workspace page makes it:

- ``queues``: ``GET /api/v1/tasks/queues`` (open and overdue counts per queue);
- ``list``: a queue's open tasks, the nearest deadline first, a random page of 50;
- ``mine``: the worker's own open tasks;
- ``overdue``: a queue's overdue tasks;
- ``created``: a queue's tasks created on one day, the newest first;
- ``card``: one task's card.

Prints a Markdown table (p50 / p99 in ms) and writes bench/results/tasks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from marketdesk.domain import tasks as rules  # noqa: E402
from marketdesk.server import create_app  # noqa: E402
from marketdesk.services import auth  # noqa: E402
from marketdesk.services.demo import load_demo  # noqa: E402
from marketdesk.services.tasks import escalate_overdue  # noqa: E402
from marketdesk.settings import Settings  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.migrate import upgrade  # noqa: E402
from marketdesk.store.models import Operator, Task, utcnow  # noqa: E402
from marketdesk.store.postgres import (  # noqa: E402
    admin_execute,
    create_database,
    drop_database,
)

KINDS = ("queues", "list", "mine", "overdue", "created", "card")


async def generate(database: Database, count: int, seed: int = 7) -> list[str]:
    """``count`` tasks in batches of 5 000; returns their numbers."""
    rnd = random.Random(seed)
    now = utcnow()
    async with database.sessions() as session:
        staff = list(await session.scalars(select(Operator.id)))
    queues = list(rules.QUEUES.values())
    statuses = ["new", "in_progress", "waiting", "done", "rejected"]
    numbers = []
    for start in range(0, count, 5000):
        rows: list[dict[str, Any]] = []
        for n in range(start, min(count, start + 5000)):
            spec = rnd.choice(queues)
            created = now - timedelta(minutes=rnd.randint(0, 365 * 24 * 60))
            status = rnd.choices(statuses, weights=(3, 2, 1, 10, 2))[0]
            overdue = rnd.random() < 0.1
            deadline = (
                now - timedelta(hours=rnd.randint(1, 200)) if overdue else created + spec.deadline
            )
            number = f"CTASK-{1_000_000 + n:07d}"
            numbers.append(number)
            rows.append(
                {
                    "number": number,
                    "queue": spec.path,
                    "title": f"Задача {n}",
                    "description": "",
                    "status": status,
                    "priority": "normal",
                    "assignee_id": rnd.choice(staff) if status != "new" else None,
                    "customer_id": None,
                    "created_at": created,
                    "updated_at": created,
                    "deadline_at": deadline,
                    "closed_at": created + timedelta(hours=5)
                    if status in ("done", "rejected")
                    else None,
                }
            )
        async with database.sessions() as session:
            await session.execute(insert(Task), rows)
            await session.commit()
    return numbers


async def bench_backend(
    name: str, url: str, count: int, requests: int, tmp: Path
) -> dict[str, Any]:
    database = Database(url)
    try:
        started = time.perf_counter()
        await upgrade(database)
        async with database.sessions() as session:
            await load_demo(session, password="bench")
        numbers = await generate(database, count)
        async with database.sessions() as session:  # as the SLA timer would have by now
            await escalate_overdue(session)
        if name == "PostgreSQL":  # the statistics and visibility autovacuum keeps in service
            await admin_execute(url, "VACUUM ANALYZE tasks")
        load_seconds = time.perf_counter() - started
        async with database.sessions() as session:
            token = await auth.token_for_operator(session, "backoffice", ttl=timedelta(hours=1))
        app = create_app(Settings(data_dir=tmp, database_url=url), database=database)
        headers = {"Authorization": f"Bearer {token}"}
        rnd = random.Random(3)
        open_status = [("status", s) for s in ("new", "in_progress", "waiting")]
        queues = list(rules.QUEUES)

        def path(kind: str) -> tuple[str, list[tuple[str, str]]]:
            queue = ("queue", rnd.choice(queues))
            if kind == "queues":
                return "/api/v1/tasks/queues", []
            if kind == "list":
                offset = ("offset", str(rnd.randint(0, 40) * 50))
                return "/api/v1/tasks", [queue, *open_status, offset]
            if kind == "mine":
                return "/api/v1/tasks", [("mine", "true"), *open_status]
            if kind == "overdue":
                return "/api/v1/tasks", [queue, ("overdue", "true")]
            if kind == "created":
                day = (utcnow() - timedelta(days=rnd.randint(1, 360))).date().isoformat()
                return "/api/v1/tasks", [
                    queue,
                    ("created_from", day),
                    ("created_to", day),
                    ("sort", "newest"),
                ]
            return f"/api/v1/tasks/{rnd.choice(numbers)}", []

        results: dict[str, list[float]] = {kind: [] for kind in KINDS}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for n in range(requests + 20):
                    for kind in KINDS:
                        target, params = path(kind)
                        t = time.perf_counter()
                        response = await client.get(target, params=params, headers=headers)
                        elapsed = time.perf_counter() - t
                        assert response.status_code == 200, response.text
                        if n >= 20:  # warm-up
                            results[kind].append(elapsed)
        return {
            "database": name,
            "tasks": count,
            "load_seconds": round(load_seconds, 1),
            "reads": {
                kind: {
                    "p50_ms": round(percentile(v, 50) * 1000, 2),
                    "p99_ms": round(percentile(v, 99) * 1000, 2),
                }
                for kind, v in results.items()
            },
        }
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    args = parser.parse_args()
    started_load = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        if not args.pg_only:
            results.append(
                await bench_backend("SQLite", sqlite_url, args.tasks, args.requests, Path(tmp))
            )
        if args.pg:
            name = f"marketdesk_bench_{uuid.uuid4().hex[:8]}"
            url = await create_database(args.pg, name)
            try:
                results.append(
                    await bench_backend("PostgreSQL", url, args.tasks, args.requests, Path(tmp))
                )
            finally:
                await drop_database(args.pg, name)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    # the machine may be shared: the load average says how quiet it was (1-minute figure)
    machine += f"; load average {started_load:.1f} before, {os.getloadavg()[0]:.1f} after"
    print(f"\nmachine: {machine}; {args.tasks} tasks; {args.requests} reads of each kind\n")
    print("| database | " + " | ".join(KINDS) + " |")
    print("| --- | " + " | ".join("---" for _ in KINDS) + " |")
    for r in results:
        cells = [f"{r['reads'][k]['p50_ms']} / {r['reads'][k]['p99_ms']}" for k in KINDS]
        print(f"| {r['database']} | " + " | ".join(cells) + " |")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "tasks.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
