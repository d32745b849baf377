"""Benchmark (not a test): latency of the customer card and product card reads, and of the
customer search («Найти клиента»), at scale.

    .venv/bin/python bench/cards.py [--scale 100000] [--requests 2000] [--pg postgresql://...]
                                    [--search-only]

For each database (SQLite always; PostgreSQL with --pg or MARKETDESK_TEST_DATABASE_URL) it
creates a fresh database, migrates, loads the demo data and ``--scale`` generated customers,
then reads random cards in-process: through the service function (one session per read), and
through the whole HTTP stack (FastAPI app over an in-process ASGI transport, with a bearer
token); and searches customers over HTTP (``GET /api/v1/customers?q=``) by a mix of what a
contact brings: a phone written as «8 (999) 123-45-67», an e-mail, an order number, an ID and
the beginning of a surname. Prints a Markdown table and writes bench/results/cards.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from marketdesk.server import create_app  # noqa: E402
from marketdesk.services import auth  # noqa: E402
from marketdesk.services.customers import customer_card  # noqa: E402
from marketdesk.services.demo import load_demo  # noqa: E402
from marketdesk.services.demo_scale import generate  # noqa: E402
from marketdesk.services.principals import Principal  # noqa: E402
from marketdesk.services.products import product_card  # noqa: E402
from marketdesk.settings import Settings  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.migrate import upgrade  # noqa: E402
from marketdesk.store.models import Customer, Order, Product  # noqa: E402
from marketdesk.store.postgres import create_database, drop_database  # noqa: E402


def summary(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


async def bench_backend(
    name: str, url: str, scale: int, requests: int, tmp: Path, search_only: bool = False
) -> dict:
    database = Database(url)
    try:
        started = time.perf_counter()
        await upgrade(database)
        async with database.sessions() as session:
            await load_demo(session, password="bench")
        async with database.sessions() as session:
            await generate(session, scale, seed=42)
        load_seconds = time.perf_counter() - started

        async with database.sessions() as session:
            customers = list(await session.scalars(select(Customer.id)))
            products = list(await session.scalars(select(Product.id)))
            operator_token = await auth.token_for_operator(
                session, "operator", ttl=timedelta(hours=1)
            )
            principal = await auth.authenticate(session, operator_token)
            people = list(
                await session.execute(select(Customer.phone, Customer.email, Customer.full_name))
            )
            orders = list(await session.scalars(select(Order.number)))
        rnd = random.Random(1)
        picks_c = [rnd.choice(customers) for _ in range(requests)]
        queries = [_query(rnd, customers, people, orders, n) for n in range(requests)]
        picks_p = [rnd.choice(products) for _ in range(requests)]
        operator = Principal("operator", principal.id, roles=principal.roles)

        async def service_reads(fn, ids):  # one session per read, as a request has
            for i in ids[:100]:  # warm-up
                async with database.sessions() as s:
                    await fn(s, operator, i)
            samples = []
            for i in ids:
                t = time.perf_counter()
                async with database.sessions() as s:
                    await fn(s, operator, i)
                samples.append(time.perf_counter() - t)
            return summary(samples)

        app = create_app(Settings(data_dir=tmp, database_url=url), database=database)
        headers = {"Authorization": f"Bearer {operator_token}"}

        async def http_reads(prefix, ids):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for i in ids[:100]:
                    assert (await client.get(f"{prefix}/{i}", headers=headers)).status_code == 200
                samples = []
                for i in ids:
                    t = time.perf_counter()
                    response = await client.get(f"{prefix}/{i}", headers=headers)
                    samples.append(time.perf_counter() - t)
                    assert response.status_code == 200
            return summary(samples)

        async def http_searches(qs):
            """All searches, and each kind of query (phone, e-mail, order, ID, name) apart."""
            transport = httpx.ASGITransport(app=app)
            warm = min(100, len(qs))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                samples: list[tuple[str, float]] = []
                for n, q in enumerate(qs[:warm] + qs):
                    t = time.perf_counter()
                    response = await client.get(
                        "/api/v1/customers", params={"q": q}, headers=headers
                    )
                    if n >= warm:
                        samples.append((SEARCH_KINDS[(n - warm) % 5], time.perf_counter() - t))
                    assert response.status_code == 200, response.text
            result: dict[str, Any] = dict(summary([s for _, s in samples]))
            for kind in SEARCH_KINDS:
                result[kind] = summary([s for k, s in samples if k == kind])
            return result

        result: dict[str, Any] = {
            "database": name,
            "customers": len(customers),
            "products": len(products),
            "load_seconds": round(load_seconds, 1),
        }
        async with app.router.lifespan_context(app):  # as the server runs it
            if not search_only:
                result["http_customer_card"] = await http_reads("/api/v1/customers", picks_c)
                result["http_product_card"] = await http_reads("/api/v1/products", picks_p)
            result["http_customer_search"] = await http_searches(queries)
        if not search_only:
            result["service_customer_card"] = await service_reads(customer_card, picks_c)
            result["service_product_card"] = await service_reads(product_card, picks_p)
        return result
    finally:
        await database.dispose()


SEARCH_KINDS = ("phone", "email", "order", "id", "name")


def _query(rnd: random.Random, ids: list, people: list, orders: list, n: int) -> str:
    """The n-th search: phone, e-mail, order number, ID and surname prefix in turn."""
    kind = n % 5
    phone, email, name = rnd.choice([p for p in people[:5000] if p.phone and p.email] or people)
    if kind == 0 and phone:
        digits = phone[2:]  # +7XXXXXXXXXX → «8 (XXX) XXX-XX-XX»
        return f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    if kind == 1 and email:
        return email.upper()
    if kind == 2 and orders:
        return rnd.choice(orders)
    if kind == 3:
        return str(rnd.choice(ids))
    return name.split()[0][:4]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    parser.add_argument("--search-only", action="store_true", help="only the customer search")
    args = parser.parse_args()
    started_load = os.getloadavg()[0]

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        results.append(
            await bench_backend(
                "SQLite", sqlite_url, args.scale, args.requests, Path(tmp), args.search_only
            )
        )
        if args.pg:
            name = f"marketdesk_bench_{uuid.uuid4().hex[:8]}"
            url = await create_database(args.pg, name)
            try:
                results.append(
                    await bench_backend(
                        "PostgreSQL",
                        url,
                        args.scale,
                        args.requests,
                        Path(tmp),
                        args.search_only,
                    )
                )
            finally:
                await drop_database(args.pg, name)

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    # the machine may be shared: the load average says how quiet it was (1-minute figure)
    machine += f"; load average {started_load:.1f} before, {os.getloadavg()[0]:.1f} after"
    print(f"\nmachine: {machine}; scale {args.scale}; {args.requests} reads each\n")
    print("| database | load (s) | read | service p50 / p99 (ms) | HTTP p50 / p99 (ms) |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        for what in ("customer_card", "product_card"):
            if f"http_{what}" not in r:
                continue
            s, h = r[f"service_{what}"], r[f"http_{what}"]
            print(
                f"| {r['database']} | {r['load_seconds']} | {what.replace('_', ' ')} | "
                f"{s['p50_ms']} / {s['p99_ms']} | {h['p50_ms']} / {h['p99_ms']} |"
            )
        h = r["http_customer_search"]
        print(
            f"| {r['database']} | {r['load_seconds']} | customer search | — | "
            f"{h['p50_ms']} / {h['p99_ms']} |"
        )
        for kind in SEARCH_KINDS:
            k = h[kind]
            print(f"| {r['database']} | | search by {kind} | — | {k['p50_ms']} / {k['p99_ms']} |")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cards.json").write_text(
        json.dumps({"machine": machine, "scale": args.scale, "results": results}, indent=2)
    )


if __name__ == "__main__":
    asyncio.run(main())
