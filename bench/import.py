"""Benchmark (not a test): the bulk import's rate (``marketdesk import``) for customers and
orders, on SQLite and PostgreSQL.

    .venv/bin/python bench/import.py [--customers 20000] [--orders 100000] [--batch 5000]
                                     [--pg postgresql://root@127.0.0.1:5432/test]

For each database (SQLite always; PostgreSQL with --pg or MARKETDESK_TEST_DATABASE_URL) it
makes a fresh database, writes ``--customers`` customers and ``--orders`` orders (each with
two items and a three-step status history) as JSON Lines, and imports them through
``services.sync.importer.import_file`` — the code ``marketdesk import`` runs, with the same
validation and upserts as ``POST /api/v1/sync/{kind}`` and a checkpoint after every batch.
Then it imports the orders file again from the start (``restart``): the re-send path, every
order already there. Reported: records per second of each run. Prints a Markdown table;
writes bench/results/import.json.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marketdesk.domain.sync import SyncKind  # noqa: E402
from marketdesk.services.sync.importer import import_file  # noqa: E402
from marketdesk.settings import normalize_database_url  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.migrate import upgrade  # noqa: E402
from marketdesk.store.postgres import create_database, drop_database  # noqa: E402

SECRET = b"bench-secret-bench-secret-bench!"
FIRST_ID = 80_000_001


def write_files(folder: Path, customers: int, orders: int) -> tuple[Path, Path]:
    rng = random.Random(16)  # made-up data
    start = datetime(2024, 1, 1, tzinfo=UTC)
    people = folder / "customers.jsonl"
    with people.open("w", encoding="utf-8") as out:
        for n in range(customers):
            record = {
                "id": FIRST_ID + n,
                "full_name": f"Покупатель {n}",
                "phone": f"+79{n:09d}",
                "email": f"buyer{n}@example.com",
                "kind": "individual",
                "registered_on": (start.date() - timedelta(days=n % 1000)).isoformat(),
                "timezone": "Europe/Moscow",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    path = folder / "orders.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(orders):
            created = start + timedelta(minutes=n)
            price = rng.randint(100, 5000)
            record = {
                "number": f"B{n:09d}",
                "customer_id": FIRST_ID + rng.randrange(customers),
                "status": "completed",
                "delivery": "pickup_point",
                "created_at": created.isoformat(),
                "total": price * 3,
                "payment": "Банковская карта",
                "items": [
                    {"name": "Товар А", "quantity": 1, "price": price},
                    {"name": "Товар Б", "quantity": 2, "price": price},
                ],
                "history": [
                    {"status": s, "at": (created + timedelta(hours=h)).isoformat()}
                    for s, h in (("created", 0), ("processing", 1), ("completed", 72))
                ],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return people, path


async def run_one(url: str, files: tuple[Path, Path], batch: int) -> list[dict[str, Any]]:
    database = Database(url)
    rows = []
    try:
        await upgrade(database)
        for label, kind, path, restart in (
            ("customers", SyncKind.CUSTOMERS, files[0], False),
            ("orders", SyncKind.ORDERS, files[1], False),
            ("orders again (re-send)", SyncKind.ORDERS, files[1], True),
        ):
            began = time.perf_counter()
            result = await import_file(
                database, kind, path, secret=SECRET, batch_size=batch, restart=restart
            )
            seconds = time.perf_counter() - began
            assert result.errors == 0, result
            rows.append(
                {
                    "kind": label,
                    "records": result.total,
                    "seconds": round(seconds, 1),
                    "per_second": round(result.total / seconds),
                }
            )
            print(f"  {label}: {result.total} in {seconds:.1f} s", flush=True)
    finally:
        await database.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_files(folder, args.customers, args.orders)
        print("SQLite", flush=True)
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        results["SQLite"] = asyncio.run(run_one(url, files, args.batch))
        if args.pg:
            name = f"marketdesk_bench_{uuid.uuid4().hex[:8]}"
            url = asyncio.run(create_database(normalize_database_url(args.pg), name))
            print("PostgreSQL", flush=True)
            try:
                results["PostgreSQL"] = asyncio.run(run_one(url, files, args.batch))
            finally:
                asyncio.run(drop_database(normalize_database_url(args.pg), name))
    print("\n| database | import | records | seconds | records/s |")
    print("| --- | --- | --- | --- | --- |")
    for database, rows in results.items():
        for row in rows:
            print(
                f"| {database} | {row['kind']} | {row['records']} | {row['seconds']} "
                f"| {row['per_second']} |"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "import.json").write_text(
        json.dumps(
            {"machine": platform.platform(), "args": vars(args), "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
