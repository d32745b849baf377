"""Benchmark (not a test): the reports worker's first round on a busy marketplace, and what a
chat message waits for meanwhile.

    .venv/bin/python bench/reports_catchup.py [--days 7] [--per-day 10000]
                                              [--chunk-rows 2000] [--pg postgresql://…]

A fresh database (SQLite in a temporary directory; PostgreSQL with ``--pg``): migrations, the
demo data and ``--days`` closed days of generated history at ``--per-day`` conversations a
day (``services.demo_history``, without messages). Then the worker's round
(``services.reports.materialise``, one run of up to seven days) twice, the facts and marks
cleared before each: once with every run's change in one transaction (``chunk_rows`` larger
than any change: how the worker wrote until 2026-12-06), once in transactions of at most
``--chunk-rows`` facts. Meanwhile a probe takes the SQLite write lock every 5 ms, as a chat
message's transaction does, and notes how long it waited (on PostgreSQL nothing waits for
the facts' rows: only the transactions are shown).

Printed per round: its wall time, the write transactions (how many, the longest from its
first write to its commit) and the probe's waits (p50, p99, longest); written to
bench/results/reports_catchup.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from marketdesk.services.demo import load_demo  # noqa: E402
from marketdesk.services.demo_history import generate_history  # noqa: E402
from marketdesk.services.reports import materialise  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.migrate import upgrade  # noqa: E402
from marketdesk.store.models import ConversationFact, ReportDay, ReportDayTally, utcnow  # noqa: E402
from marketdesk.store.postgres import create_database, drop_database  # noqa: E402
from marketdesk.store.transactions import sqlite_write_lock  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")


class Transactions:
    """The write transactions on an engine: from the first write statement to the commit."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.spans: list[float] = []
        self._began: dict[int, float] = {}

    def _statement(self, conn: Any, *_rest: Any) -> None:
        statement = _rest[1] if len(_rest) > 1 else ""
        if id(conn) not in self._began and statement.lstrip().split()[0].upper() in WRITES:
            self._began[id(conn)] = time.perf_counter()

    def _commit(self, conn: Any) -> None:
        began = self._began.pop(id(conn), None)
        if began is not None:
            self.spans.append(time.perf_counter() - began)

    def _rollback(self, conn: Any) -> None:
        self._began.pop(id(conn), None)

    def __enter__(self) -> Transactions:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)


async def probe(database: Database, waits: list[float], stop: asyncio.Event) -> None:
    """A chat message's turn at the SQLite write lock every 5 ms; how long each waited."""
    lock = sqlite_write_lock(database.engine)
    if lock is None:
        await stop.wait()
        return
    while not stop.is_set():
        started = time.perf_counter()
        async with lock:
            waits.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)


async def one_round(database: Database, chunk_rows: int) -> dict[str, Any]:
    async with database.sessions() as session:
        for model in (ConversationFact, ReportDayTally, ReportDay):
            await session.execute(delete(model))
        await session.commit()
    waits: list[float] = []
    stop = asyncio.Event()
    prober = asyncio.create_task(probe(database, waits, stop))
    with Transactions(database.engine.sync_engine) as transactions:
        started = time.perf_counter()
        async with database.sessions() as session:
            days = await materialise(
                session, refresh_days=1, lines=frozenset({"seller"}), chunk_rows=chunk_rows
            )
        wall = time.perf_counter() - started
    stop.set()
    await prober
    ms = [w * 1000 for w in waits] or [0.0]
    spans = [s * 1000 for s in transactions.spans] or [0.0]
    return {
        "days": len(days),
        "wall_s": round(wall, 2),
        "write_transactions": len(transactions.spans),
        "longest_transaction_ms": round(max(spans), 1),
        "probe_waits": len(waits),
        "probe_wait_p50_ms": round(percentile(ms, 50), 2),
        "probe_wait_p99_ms": round(percentile(ms, 99), 1),
        "probe_wait_max_ms": round(max(ms), 1),
    }


async def bench(url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        await upgrade(database)
        async with database.sessions() as session:
            await load_demo(session, password="bench")
        async with database.sessions() as session:
            result = await generate_history(
                session, days=args.days, per_day=args.per_day, seed=7, now=utcnow(), messages=False
            )
        print(f"{result.conversations} conversations over {args.days} days", flush=True)
        rows = []
        for label, chunk_rows in (
            ("one transaction a run", 10**9),
            (f"chunks of {args.chunk_rows} facts", args.chunk_rows),
        ):
            row = {"mode": label, **await one_round(database, chunk_rows)}
            print(row, flush=True)
            rows.append(row)
        return rows
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--chunk-rows", type=int, default=2000)
    parser.add_argument("--pg", default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = await bench(f"sqlite+aiosqlite:///{tmp}/catchup.db", args)
    if args.pg:
        url = await create_database(args.pg, "bench_catchup")
        try:
            results["PostgreSQL"] = await bench(url, args)
        finally:
            await drop_database(args.pg, "bench_catchup")
    print(
        "| database | round | days | wall s | write transactions | longest ms |"
        " probe waits p50 / p99 / max ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        for r in rows:
            print(
                f"| {name} | {r['mode']} | {r['days']} | {r['wall_s']} | "
                f"{r['write_transactions']} | {r['longest_transaction_ms']} | "
                f"{r['probe_wait_p50_ms']} / {r['probe_wait_p99_ms']} / {r['probe_wait_max_ms']} |"
            )
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    out = ROOT / "bench" / "results" / "reports_catchup.json"
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
