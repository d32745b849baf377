"""Benchmark (not a test): the CPU of one request of each path of ``bench/api.py``, in-process
and one at a time — where a path's time goes, without the HTTP server and the clients'
queue in the way.

    .venv/bin/python bench/profile_api.py [--scale 2000] [--requests 300]
                                          [--only task_create,card_customer]
                                          [--backend sqlite|postgresql] [--pg postgresql://…]
                                          [--profile card_customer] [--top 30]
                                          [--dump profile.pstats] [--sql chat_first]

The demo data and ``--scale`` generated customers go into a fresh database (as
``bench/api.py`` does); the application runs in this process with its lifespan (the chat
writer, the broker, the background workers) and ``httpx.ASGITransport`` calls it: the
middleware, routing, authentication, the use case and the serialisation, no socket. Each
path gets 30 warm-up calls, then ``--requests`` calls one after another; printed: the process's
CPU per call (the client's own share included: httpx's request building is about 0.1 ms) and
the wall time per call. ``--profile PATH`` runs that path under cProfile and prints the
functions with the most cumulative and own time."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import PLAN, Paths, _auth, ids, load_data  # noqa: E402
from bench.databases import on_fresh_database  # noqa: E402
from marketdesk.server import create_app  # noqa: E402
from marketdesk.settings import Settings  # noqa: E402

WARM_UP = 30


async def measure(args: argparse.Namespace, database_url: str, data_dir: Path) -> None:
    load_data(database_url, data_dir, args.scale)
    customers, products = await ids(database_url)
    os.environ["MARKETDESK_DATABASE_URL"] = database_url
    os.environ["MARKETDESK_DATA_DIR"] = str(data_dir)
    # every call comes from one address: the limits scaled out of the way (as bench/server.py)
    os.environ.setdefault("MARKETDESK_RATE_LIMIT_SCALE", "10000")
    app = create_app(Settings())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tokens = {}
            for login in ("backoffice", "supervisor"):
                r = await client.post(
                    "/api/v1/auth/login", json={"login": login, "password": "bench"}
                )
                r.raise_for_status()
                tokens[login] = r.json()["token"]
            paths = Paths(customers, products, random.Random(7))
            for path, who in PLAN:
                if path == "login" or (args.only and path not in args.only):
                    continue
                client.headers.clear()
                if path in ("task_status", "task_comment") and not paths.tasks:
                    client.headers.update(_auth(tokens["backoffice"]))
                    for i in range(args.requests + WARM_UP):
                        await paths.task_create(client, i)
                if path == "message" and not paths.conversations:
                    # a conversation a message, as bench/api.py: the bot's turn in each
                    for i in range(args.requests + WARM_UP):
                        await paths.chat_open(client, i)
                if path == "message_queued" and not paths.queued:
                    for i in range(64):
                        assert await paths.open_queued(client, i)
                client.headers.clear()
                if who:
                    client.headers.update(_auth(tokens[who]))
                await run_path(args, path, getattr(paths, path), client)


async def run_path(args: argparse.Namespace, path: str, op: Any, client: httpx.AsyncClient) -> None:
    """One path: its warm-up, its SQL if asked, then its calls timed (and profiled)."""
    for i in range(WARM_UP):
        assert await op(client, i), path
    if args.sql == path:
        await print_statements(op, client, WARM_UP)
    profiler = cProfile.Profile() if args.profile == path else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    failed = 0
    for i in range(args.requests):
        failed += not await op(client, WARM_UP + i)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{path:18} {cpu / args.requests * 1000:6.2f} ms CPU  "
        f"{wall / args.requests * 1000:6.2f} ms wall  failed {failed}",
        flush=True,
    )
    if profiler:
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


async def print_statements(op: Any, client: httpx.AsyncClient, i: int) -> None:
    """The SQL one call runs, as the engine sends it (the drivers' own commits not shown)."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert await op(client, i)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    print(f"{len(statements)} statements:")
    for n, statement in enumerate(statements, 1):
        print(f"{n:3} {statement[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    parser.add_argument("--only", type=lambda v: set(v.split(",")), default=None)
    parser.add_argument("--profile", default=None, help="a path to run under cProfile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", default=None, help="a file for the profile (pstats)")
    parser.add_argument("--sql", default=None, help="a path whose SQL to print (one call)")
    args = parser.parse_args()
    if args.backend == "postgresql" and not args.pg:
        parser.error("--backend postgresql needs --pg")
    with tempfile.TemporaryDirectory(prefix="md-profile-") as tmp:
        data_dir = Path(tmp)
        on_fresh_database(
            args.backend, args.pg, data_dir, "md_profile", lambda url: measure(args, url, data_dir)
        )


if __name__ == "__main__":
    main()
