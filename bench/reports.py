"""Benchmark (not a test): the supervisors' reports over a year at 1 000 conversations a day.

    .venv/bin/python bench/reports.py [--days 365] [--per-day 1000] [--requests 20] [--pg URL]

For each database (SQLite always; PostgreSQL with --pg or MARKETDESK_TEST_DATABASE_URL) it
creates a fresh database, migrates, loads the demo data and the generated history
(``services.demo_history``, without messages: the reports never read them) of ``--days``
closed days and today, materialises the closed days (``services.reports.materialise``, as
the reports worker does), then requests every report over the whole year through the HTTP
stack (FastAPI app over an in-process ASGI transport, a supervisor's bearer token), and the
page's first load (the overview and the volume by day, as reports.js asks for them).
Prints a Markdown table and writes bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from marketdesk.server import create_app  # noqa: E402
from marketdesk.services import auth  # noqa: E402
from marketdesk.services.demo import load_demo  # noqa: E402
from marketdesk.services.demo_history import _TOPICS as HISTORY_TOPICS  # noqa: E402
from marketdesk.services.demo_history import generate_history  # noqa: E402
from marketdesk.services.reports import REPORTS, materialise, moscow_today  # noqa: E402
from marketdesk.settings import Settings  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.migrate import upgrade  # noqa: E402
from marketdesk.store.models import Operator, utcnow  # noqa: E402
from marketdesk.store.postgres import create_database, drop_database  # noqa: E402


def summary(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }


async def prepare(url: str, days: int, per_day: int) -> dict[str, float]:
    database = Database(url)
    try:
        started = time.perf_counter()
        await upgrade(database)
        async with database.sessions() as session:
            await load_demo(session, password="bench")
        async with database.sessions() as session:
            # «now» a day ahead: the generator writes up to yesterday of it, i.e. today too
            result = await generate_history(
                session,
                days=days + 1,
                per_day=per_day,
                seed=7,
                now=utcnow() + timedelta(days=1),
                messages=False,
            )
        generated = time.perf_counter() - started
        started = time.perf_counter()
        async with database.sessions() as session:
            await materialise(session, refresh_days=1, lines=frozenset({"seller"}), run_days=31)
        return {
            "conversations": result.conversations,
            "load_s": round(generated, 1),
            "materialise_s": round(time.perf_counter() - started, 1),
        }
    finally:
        await database.dispose()


async def measure(url: str, tmp: Path, days: int, requests: int) -> dict[str, dict[str, float]]:
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        demo=False,
        rate_limits_enabled=False,
        reports_interval_seconds=3600,
        reports_refresh_days=1,
    )
    app = create_app(settings)
    results: dict[str, dict[str, float]] = {}
    async with app.router.lifespan_context(app):
        async with app.state.database.sessions() as session:
            token = await auth.token_for_operator(session, "supervisor", ttl=timedelta(hours=1))
            operator_id = await session.scalar(
                select(Operator.id).where(Operator.login == "operator")
            )
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        today = moscow_today()
        period = {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, timeout=120
        ) as client:

            async def get(name: str, **extra: str) -> None:
                response = await client.get(f"/api/v1/reports/{name}", params=period | extra)
                assert response.status_code == 200, response.text

            for name in REPORTS:  # warm-up
                await get(name)
            for name in REPORTS:
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    await get(name)
                    samples.append(time.perf_counter() - started)
                results[name] = summary(samples)
            # filtered: the rows of one operator, one topic, one channel (indexed facts)
            topic = HISTORY_TOPICS[0][0]
            for label, name, extra in (
                ("overview, one operator", "overview", {"operator": str(operator_id)}),
                ("overview, one topic", "overview", {"topic": topic}),
                ("overview, one channel", "overview", {"channel": "telegram"}),
                ("response_times, one operator", "response_times", {"operator": str(operator_id)}),
                ("volume_by_day, one topic", "volume_by_day", {"topic": topic}),
            ):
                await get(name, **extra)
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    await get(name, **extra)
                    samples.append(time.perf_counter() - started)
                results[label] = summary(samples)
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                await asyncio.gather(get("overview"), get("volume_by_day"))
                samples.append(time.perf_counter() - started)
            results["page (overview + volume by day)"] = summary(samples)
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                await get("volume_by_day", format="xlsx")
                samples.append(time.perf_counter() - started)
            results["volume_by_day as XLSX"] = summary(samples)
    return results


async def bench_backend(name: str, url: str, args: argparse.Namespace, tmp: Path) -> dict:
    loaded = await prepare(url, args.days, args.per_day)
    print(f"{name}: {loaded}", file=sys.stderr)
    return {"load": loaded, "reports": await measure(url, tmp, args.days, args.requests)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        sqlite_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        results["SQLite"] = await bench_backend("SQLite", sqlite_url, args, tmp)
        if args.pg:
            pg_name = f"bench_reports_{uuid.uuid4().hex[:8]}"
            pg_url = await create_database(args.pg, pg_name)
            try:
                results["PostgreSQL"] = await bench_backend("PostgreSQL", pg_url, args, tmp)
            finally:
                await drop_database(args.pg, pg_name)
    print("| database | report | p50 (ms) | p99 (ms) |")
    print("| --- | --- | --- | --- |")
    for db, result in results.items():
        for report, figures in result["reports"].items():
            print(f"| {db} | {report} | {figures['p50_ms']} | {figures['p99_ms']} |")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "reports.json").write_text(
        json.dumps(
            {"machine": platform.platform(), "args": vars(args), "results": results},
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
