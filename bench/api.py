"""Benchmark (not a test): every write path of the REST API and the card reads under
concurrent clients, on one ``marketdesk serve`` process, with the peer in the same run.

    .venv/bin/python bench/api.py [--requests 800] [--concurrency 16] [--scale 100000]
                                  [--backend sqlite|postgresql|both] [--pg postgresql://...]
                                  [--peer] [--only task_create,card_customer]
                                  [--card-clients 1] [--client light|httpx]
                                  [--workers 2 --redis redis://127.0.0.1:6379/0]
                                  [--sqlite-workers 2] [--access-log]

For each database it loads the demo data and ``--scale`` generated customers (with their
orders and products) into a fresh database (``marketdesk demo load --scale``), starts
``marketdesk serve`` on it and drives, one path after another, ``--requests`` requests from
``--concurrency`` clients at once (each client sends its next request when the last one is
answered), over real HTTP on loopback, after ``--warm-up`` calls (not measured: the
pooled connections' first statements, PostgreSQL's statements prepared on each, are not a
path's cost; the peer gets the same; until 2026-12-06 there was none). Since 2026-12-07 the
warm-up is a fifth of ``--requests`` (at least twice the clients; the login's, argon2's
second a call with nothing to warm, at most twice the clients), and the measured calls
follow it in the same loop over the same connections: before, it was twice the clients
and ended before the measured calls began, all sixteen at once on connections of their
own, so that their first quarter-second or more, while the statements were prepared on
each pooled connection of each process and the processes evened out their shares of the
new connections, made most of a fast path's slowest 1 % (bench/README.md):

- ``login``: ``POST /api/v1/auth/login`` (a worker's password, argon2);
- ``visitor``: ``POST /api/v1/visitors``;
- ``chat_open``: a visitor, a conversation and its first message (three requests, as the
  widget made them until 2026-12-04; the latency is the three together; the bot answers
  the message);
- ``chat_first``: the same in two requests, as the widget made them until 2026-12-05 (and
  still does for a visitor who has a token): a visitor, then the conversation opened with
  its first message (``first_message``; the bot's answer in the same response);
- ``chat_one``: the same in one request, as the widget makes it now for a new visitor
  (``POST /api/v1/visitors`` with ``conversation``);
- ``message``: a customer's message in an open conversation (``POST …/messages``) while the
  bot has it: the bot's turn, which for this follow-up («Уточнение номер N», after the
  certificate question) is a handoff to the line's queue with its dispatch (so it has been
  since the path was added; until 2026-12-06 this said «the bot answers each»);
- ``message_queued``: the same in conversations handed to the operators' queue
  (``POST …/handoff`` first): no bot, the chat writer's batches;
- ``task_create``: ``POST /api/v1/tasks`` as the back office;
- ``task_status``: ``POST /api/v1/tasks/{number}/status`` (a new task taken in work);
- ``task_comment``: ``POST /api/v1/tasks/{number}/comments``;
- ``customer_comment``: ``POST /api/v1/customers/{id}/comments`` as an operator;
- ``rule_inaccuracy``: ``POST /api/v1/products/{code}/inaccuracy`` (the description-error
  rule: it opens a task);
- ``card_customer`` / ``card_product``: ``GET /api/v1/customers/{id}`` and
  ``GET /api/v1/products/{code}`` of random ones among ``--scale``; then again from
  ``--card-clients`` clients (default one: the latency one operator sees).

``--workers N`` serves PostgreSQL with N processes and Redis, ``--sqlite-workers N`` SQLite
(its processes' writers take turns on a file lock; one process by default, as the runs
before 2026-12-05); the server's CPU then counts every process, and after it, in brackets,
each process's share of it: the clients' keep-alive connections stay on the process that
accepted them for the whole path, so a lopsided split slows a run for that alone. Until
2026-12-06 the processes shared one listening socket, and the first to wake often took all
sixteen (97/3 in four runs of eight); since then each listens on a socket of its own and
the kernel spreads the connections (``marketdesk.listening``).

The server logs at ``warning`` (no access lines), as every run before 2026-12-07;
``--access-log`` runs it at ``serve``'s default level, a JSON access line a request (on
this machine about 60 µs of CPU a request since that day, 170-190 before).

With ``--peer`` (after ``../shared/peers/django-helpdesk/setup.sh``) it also creates
django-helpdesk tickets (``POST /api/tickets/``, gunicorn with two workers, SQLite WAL) at the
same concurrency in the same run, right before marketdesk's task creation, and gives each
path's throughput as a ratio of the peer's.

Reports p50 / p99 latency (of a path's calls: ``chat_open``'s three requests together),
the p99 of each HTTP request alone (``p99 a request``: for ``chat_open`` and ``chat_first``
each of their requests, for the other paths the same as the p99; since 2026-12-06),
throughput and the server's CPU time per request, the load
average when each path began and the share of the machine's CPU time its host took for
others while the path ran (``steal %``: on a virtual machine, runs of the same code differ
by it), prints a Markdown table and writes bench/results/api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.light_client import HTTPError as LightHTTPError  # noqa: E402
from bench.light_client import LightClient  # noqa: E402
from bench.server import MARKETDESK, ServerProcess  # noqa: E402
from bench.stats import percentile  # noqa: E402
from marketdesk.settings import normalize_database_url  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.models import Customer, Product  # noqa: E402
from marketdesk.store.postgres import create_database, drop_database  # noqa: E402

PEER = "http://127.0.0.1:18800"
PEER_TOKEN = Path("/tmp/dh.token")
TEXT = "Как активировать подарочный сертификат?"
QUEUE = "Жалобы"


class Response(Protocol):
    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


class Client(Protocol):
    """What the operations call: httpx's client, or the lean one of ``bench/light_client.py``."""

    async def get(self, url: str, *, headers: dict[str, str] | None = None) -> Response: ...

    async def post(
        self, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Response: ...


Op = Callable[[Client, int], Awaitable[bool]]


class _Timed:
    """A client that notes each request's latency (a path of several requests: each)."""

    def __init__(self, client: Any, latencies: list[float]) -> None:
        self.client = client
        self.latencies = latencies

    async def get(self, url: str, *, headers: dict[str, str] | None = None) -> Response:
        started = time.perf_counter()
        try:
            return await self.client.get(url, headers=headers)  # type: ignore[no-any-return]
        finally:
            self.latencies.append(time.perf_counter() - started)

    async def post(
        self, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        started = time.perf_counter()
        try:
            return await self.client.post(url, json=json, headers=headers)  # type: ignore[no-any-return]
        finally:
            self.latencies.append(time.perf_counter() - started)


@dataclass
class Result:
    path: str
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    # each HTTP request's own latency (for a path of several requests, each of them)
    request_latencies: list[float] = field(default_factory=list)
    errors: int = 0
    server_cpu: float | None = None
    load: float = 0.0  # the machine's load average (1 min) when the path started
    # with several server processes: each one's share of their CPU, in % (how evenly the
    # clients' keep-alive connections fell on them: a split is fixed for the run)
    cpu_split: list[int] = field(default_factory=list)
    # with several server processes: the clients' connections each one held at the end
    # (the kernel spreads them by a hash; marketdesk.connection_balance evens them out)
    connection_split: list[int] = field(default_factory=list)
    # on a virtual machine: the share of the machine's CPU time its host took for others
    # while the path ran (``steal`` in /proc/stat), in %; None where it cannot be read
    steal: float | None = None

    def row(self) -> dict[str, Any]:
        lat = self.latencies or [0.0]
        return {
            "path": self.path,
            "requests": self.requests,
            "per_second": round(self.requests / self.seconds, 1),
            "p50_ms": round(percentile(lat, 50) * 1000, 1),
            "p99_ms": round(percentile(lat, 99) * 1000, 1),
            "request_p99_ms": round(percentile(self.request_latencies or lat, 99) * 1000, 1),
            "errors": self.errors,
            "load": round(self.load, 1),
            "server_cpu_ms": (
                round(self.server_cpu / self.requests * 1000, 2)
                if self.server_cpu is not None
                else None
            ),
            "cpu_split": self.cpu_split,
            "connection_split": self.connection_split,
            "steal": None if self.steal is None else round(self.steal, 1),
        }


def cpu_times() -> tuple[int, int] | None:
    """The machine's (total, stolen) CPU time so far, in ticks (/proc/stat's first line);
    None where there is no /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(value) for value in fields]
    return sum(ticks[:8]), ticks[7] if len(ticks) > 7 else 0


async def drive(
    path: str,
    base: str,
    headers: dict[str, str],
    op: Op,
    n: int,
    concurrency: int,
    server: ServerProcess | None,
    *,
    light: bool,
    warm_up: int = 0,
) -> Result:
    """``n`` calls of ``op`` from ``concurrency`` clients at once (closed loop), from the lean
    client (``light``) or httpx's; ``op`` gets the indexes ``0`` to ``n - 1``. Before them,
    in the same loop over the same connections, ``warm_up`` calls that are not measured
    (the indexes ``n`` to ``n + warm_up - 1``): the measured calls begin while the clients
    are busy and their connections settled, not all sixteen at once after a lull."""
    client: Any
    if light:
        client = LightClient(base, headers=headers)
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits)
    async with client:
        result = Result(path, n, 0.0, load=os.getloadavg()[0])
        queue = itertools.chain(range(n, n + warm_up), range(n))
        timed = _Timed(client, result.request_latencies)
        untimed = _Timed(client, [])
        # what the counters read as the first measured call went (the warm-up's last ones
        # still on their way: at most ``concurrency - 1`` calls' remainders are counted)
        before: dict[str, Any] = {}

        def begin() -> None:
            before["cpu"] = server.cpu_seconds() if server else None
            before["workers"] = server.worker_cpu_seconds() if server and server.workers > 1 else {}
            before["times"] = cpu_times()
            before["started"] = time.perf_counter()

        async def worker() -> None:
            for i in queue:
                measured = i < n
                if measured and not before:
                    begin()
                started = time.perf_counter()
                try:
                    ok = await op(timed if measured else untimed, i)
                except (httpx.HTTPError, LightHTTPError):
                    ok = False
                if measured:
                    result.latencies.append(time.perf_counter() - started)
                    result.errors += not ok

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        if not before:  # no measured call
            begin()
        result.seconds = time.perf_counter() - before["started"]
        cpu_before, workers_before = before["cpu"], before["workers"]
        times_before = before["times"]
        if server and server.workers > 1:  # the connections still open: where they are
            held = server.worker_connections().values()
            result.connection_split = sorted((n for n in held if n), reverse=True)
        times_after = cpu_times()
        if times_before and times_after and times_after[0] > times_before[0]:
            stolen = times_after[1] - times_before[1]
            result.steal = 100 * stolen / (times_after[0] - times_before[0])
        if server and cpu_before is not None:
            result.server_cpu = server.cpu_seconds() - cpu_before
        if server and workers_before:
            spent = [
                cpu - workers_before.get(pid, 0.0)
                for pid, cpu in server.worker_cpu_seconds().items()
            ]
            total = sum(spent) or 1.0
            result.cpu_split = sorted(
                (round(100 * s / total) for s in spent if s / total >= 0.02), reverse=True
            )
    return result


class Paths:
    """The operations, with the ids and tokens they need (made before they run)."""

    def __init__(self, customers: list[int], products: list[int], rnd: random.Random) -> None:
        self.customers = customers
        self.products = products
        self.rnd = rnd
        self.conversations: list[tuple[int, str]] = []  # (id, customer token)
        self.queued: list[tuple[int, str]] = []  # the same, handed to the operators' queue
        self.tasks: list[str] = []

    async def login(self, client: Client, _i: int) -> bool:
        r = await client.post(
            "/api/v1/auth/login", json={"login": "backoffice", "password": "bench"}
        )
        return r.status_code == 200

    async def visitor(self, client: Client, _i: int) -> bool:
        r = await client.post("/api/v1/visitors", json={})
        return r.status_code in (200, 201)

    @staticmethod
    async def _new_visitor(client: Client) -> dict[str, str] | None:
        """A new widget visitor's authorisation header (None: refused)."""
        r = await client.post("/api/v1/visitors", json={})
        if r.status_code not in (200, 201):
            return None
        return {"Authorization": f"Bearer {r.json()['token']}"}

    async def chat_open(self, client: Client, _i: int) -> bool:
        auth = await self._new_visitor(client)
        if auth is None:
            return False
        r = await client.post("/api/v1/conversations", json={"line": "general"}, headers=auth)
        if r.status_code != 201:
            return False
        conversation = r.json()["id"]
        r = await client.post(
            f"/api/v1/conversations/{conversation}/messages",
            headers=auth,
            json={"client_msg_id": str(uuid.uuid4()), "text": TEXT},
        )
        if r.status_code in (200, 201):
            self.conversations.append((conversation, auth["Authorization"]))
            return True
        return False

    async def chat_first(self, client: Client, _i: int) -> bool:
        auth = await self._new_visitor(client)
        if auth is None:
            return False
        first = {"client_msg_id": str(uuid.uuid4()), "text": TEXT}
        r = await client.post(
            "/api/v1/conversations",
            json={"line": "general", "first_message": first},
            headers=auth,
        )
        if r.status_code != 201 or not r.json()["first_message"]["replies"]:
            return False
        self.conversations.append((r.json()["id"], auth["Authorization"]))
        return True

    async def open_queued(self, client: Client, i: int) -> bool:
        """A conversation opened with its question and handed to the queue (set-up)."""
        if not await self.chat_first(client, i):
            return False
        conversation, token = self.conversations.pop()
        r = await client.post(
            f"/api/v1/conversations/{conversation}/handoff", headers={"Authorization": token}
        )
        if r.status_code != 200 or r.json()["status"] != "queued":
            return False
        self.queued.append((conversation, token))
        return True

    async def chat_one(self, client: Client, _i: int) -> bool:
        first = {"client_msg_id": str(uuid.uuid4()), "text": TEXT}
        r = await client.post(
            "/api/v1/visitors",
            json={"conversation": {"line": "general", "first_message": first}},
        )
        if r.status_code != 201 or not r.json()["conversation"]["first_message"]["replies"]:
            return False
        token = f"Bearer {r.json()['token']}"
        self.conversations.append((r.json()["conversation"]["id"], token))
        return True

    async def message(self, client: Client, i: int) -> bool:
        return await self._message(client, i, self.conversations)

    async def message_queued(self, client: Client, i: int) -> bool:
        return await self._message(client, i, self.queued)

    @staticmethod
    async def _message(client: Client, i: int, conversations: list[tuple[int, str]]) -> bool:
        conversation, token = conversations[i % len(conversations)]
        r = await client.post(
            f"/api/v1/conversations/{conversation}/messages",
            headers={"Authorization": token},
            json={"client_msg_id": str(uuid.uuid4()), "text": f"Уточнение номер {i}"},
        )
        return r.status_code in (200, 201)

    async def task_create(self, client: Client, i: int) -> bool:
        r = await client.post(
            "/api/v1/tasks",
            json={
                "queue": QUEUE,
                "title": f"Не могу активировать сертификат {i}",
                "description": TEXT,
            },
        )
        if r.status_code == 201:
            self.tasks.append(r.json()["number"])
            return True
        return False

    async def task_status(self, client: Client, i: int) -> bool:
        number = self.tasks[i % len(self.tasks)]
        r = await client.post(f"/api/v1/tasks/{number}/status", json={"status": "in_progress"})
        return r.status_code == 200

    async def task_comment(self, client: Client, i: int) -> bool:
        number = self.tasks[i % len(self.tasks)]
        r = await client.post(f"/api/v1/tasks/{number}/comments", json={"text": f"Проверено {i}"})
        return r.status_code in (200, 201)

    async def customer_comment(self, client: Client, i: int) -> bool:
        customer = self.rnd.choice(self.customers)
        r = await client.post(
            f"/api/v1/customers/{customer}/comments", json={"text": f"Звонил по заказу {i}"}
        )
        return r.status_code in (200, 201)

    async def rule_inaccuracy(self, client: Client, i: int) -> bool:
        product = self.rnd.choice(self.products)
        r = await client.post(
            f"/api/v1/products/{product}/inaccuracy", json={"text": f"Неверный вес {i}"}
        )
        return r.status_code in (200, 201)

    async def card_customer(self, client: Client, _i: int) -> bool:
        r = await client.get(f"/api/v1/customers/{self.rnd.choice(self.customers)}")
        return r.status_code == 200

    async def card_product(self, client: Client, _i: int) -> bool:
        r = await client.get(f"/api/v1/products/{self.rnd.choice(self.products)}")
        return r.status_code == 200


async def peer_ticket(client: Client, i: int) -> bool:
    r = await client.post(
        "/api/tickets/",
        json={
            "queue": 1,
            "title": f"Не могу активировать сертификат {i}",
            "description": TEXT,
            "submitter_email": f"c{i}@example.com",
            "priority": 3,
        },
    )
    return r.status_code == 201


# path → who calls it (None: no token; the op brings its own)
PLAN: list[tuple[str, str | None]] = [
    ("login", None),
    ("visitor", None),
    ("chat_open", None),
    ("chat_first", None),
    ("chat_one", None),
    ("message", None),
    ("message_queued", None),
    ("task_create", "backoffice"),
    ("task_status", "backoffice"),
    ("task_comment", "backoffice"),
    ("customer_comment", "supervisor"),
    ("rule_inaccuracy", "supervisor"),
    ("card_customer", "supervisor"),
    ("card_product", "supervisor"),
]


def load_data(database_url: str, data_dir: Path, scale: int) -> None:
    env = {
        **os.environ,
        "MARKETDESK_DATABASE_URL": database_url,
        "MARKETDESK_DEMO_PASSWORD": "bench",
    }
    subprocess.run(
        [str(MARKETDESK), "demo", "load", "--scale", str(scale), "--data-dir", str(data_dir)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def ids(database_url: str) -> tuple[list[int], list[int]]:
    database = Database(normalize_database_url(database_url))
    try:
        async with database.sessions() as session:
            customers = list(await session.scalars(select(Customer.id)))
            products = list(await session.scalars(select(Product.id)))
    finally:
        await database.dispose()
    return customers, products


async def token(base: str, login: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.post("/api/v1/auth/login", json={"login": login, "password": "bench"})
        r.raise_for_status()
        return str(r.json()["token"])


async def bench_backend(
    name: str, database_url: str, data_dir: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    print(f"{name}: loading the demo data and {args.scale} customers…", flush=True)
    load_data(database_url, data_dir, args.scale)
    customers, products = await ids(database_url)
    workers = args.workers if database_url.startswith("postgresql") else args.sqlite_workers
    redis = workers > 1 or args.with_redis
    extra = {"MARKETDESK_REDIS_URL": args.redis} if redis else {}
    if args.access_log:  # serve's default level: a JSON access line a request, on stderr
        extra["MARKETDESK_LOG_LEVEL"] = "info"
    server = ServerProcess(data_dir, database_url, extra, workers=workers)
    server.start()
    rows: list[dict[str, Any]] = []
    try:
        tokens = {who: await token(server.url, who) for who in ("backoffice", "supervisor")}
        paths = Paths(customers, products, random.Random(7))
        for path, who in PLAN:
            if args.only and path not in args.only:
                continue
            if path == "task_create" and args.peer:
                rows.append(await run_peer(args, name))
            if path in ("task_status", "task_comment") and not paths.tasks:
                await drive(
                    "setup",
                    server.url,
                    _auth(tokens["backoffice"]),
                    paths.task_create,
                    args.requests + args.warm_up,
                    args.concurrency,
                    None,
                    light=args.light,
                )
            setup = {"message": paths.chat_open, "message_queued": paths.open_queued}.get(path)
            if setup is not None and not (
                paths.queued if path == "message_queued" else paths.conversations
            ):
                await drive(
                    "setup",
                    server.url,
                    {},
                    setup,
                    # the bot's turn in a conversation each (as after chat_open and chat_first);
                    # the queue's messages spread over a few conversations
                    args.requests + args.warm_up if path == "message" else args.concurrency * 4,
                    args.concurrency,
                    None,
                    light=args.light,
                )
            headers = _auth(tokens[who]) if who else {}
            runs = [(path, args.concurrency)]
            if path.startswith("card_") and args.card_clients:
                # a card's latency as one operator sees it, not behind 15 others' requests
                plural = "s" if args.card_clients > 1 else ""
                runs.append((f"{path} ({args.card_clients} client{plural})", args.card_clients))
            for label, clients in runs:
                result = await drive(
                    label,
                    server.url,
                    headers,
                    getattr(paths, path),
                    args.requests,
                    clients,
                    server,
                    light=args.light,
                    # other indexes than the measured calls' (their own tasks); argon2's
                    # logins (nothing there to warm, a second each) the least
                    warm_up=min(args.warm_up, 2 * clients) if path == "login" else args.warm_up,
                )
                row = {"backend": name, **result.row()}
                rows.append(row)
                print(_line(row), flush=True)
    finally:
        server.stop()
    return rows


async def run_peer(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    headers = {"Authorization": f"Token {args.peer_token}"}
    result = await drive(
        "peer: django-helpdesk ticket",
        PEER,
        headers,
        peer_ticket,
        args.requests,
        args.concurrency,
        None,
        light=args.light,
        warm_up=args.warm_up,
    )
    row = {"backend": f"{backend} (peer run)", **result.row()}
    print(_line(row), flush=True)
    return row


def _peer_token() -> str | None:
    return PEER_TOKEN.read_text().strip() if PEER_TOKEN.exists() else None


def _auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def _line(row: dict[str, Any]) -> str:
    cpu = "" if row["server_cpu_ms"] is None else f"{row['server_cpu_ms']:.2f}"
    if row.get("cpu_split"):  # each server process's share: "3.21 (58/42 %)"
        cpu += f" ({'/'.join(str(share) for share in row['cpu_split'])} %"
        if row.get("connection_split"):  # and the connections each held: "; 9/7"
            cpu += f"; {'/'.join(str(n) for n in row['connection_split'])}"
        cpu += ")"
    return (
        f"| {row['backend']} | {row['path']} | {row['per_second']:.0f} | {row['p50_ms']:.1f} | "
        f"{row['p99_ms']:.1f} | {row['request_p99_ms']:.1f} | {cpu} | {row['errors']} | "
        f"{row.get('load', '')} | "
        f"{'' if row.get('steal') is None else row['steal']} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--warm-up",
        type=int,
        default=None,
        help="unmeasured calls before each path's, in the same loop (default: a fifth of "
        "--requests, at least twice --concurrency; the login's at most twice --concurrency)",
    )
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    parser.add_argument("--peer", action="store_true", help="django-helpdesk in the same run")
    parser.add_argument("--workers", type=int, default=1, help="PostgreSQL's server processes")
    parser.add_argument("--sqlite-workers", type=int, default=1, help="SQLite's (with Redis)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--with-redis",
        action="store_true",
        help="Redis for one server process too (as each node of several hosts has)",
    )
    parser.add_argument("--only", type=lambda v: set(v.split(",")), default=None)
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="the server at its default log level (an access line a request), not quiet",
    )
    parser.add_argument(
        "--card-clients",
        type=int,
        default=1,
        help="the cards again at this concurrency (0: not)",
    )
    parser.add_argument(
        "--client",
        choices=("light", "httpx"),
        default="light",
        help="the load generator: the lean client (default) or httpx",
    )
    args = parser.parse_args()
    args.light = args.client == "light"
    if args.warm_up is None:
        args.warm_up = max(2 * args.concurrency, args.requests // 5)
    args.peer_token = _peer_token() if args.peer else None
    if args.peer and not args.peer_token:
        parser.error("--peer: run ../shared/peers/django-helpdesk/setup.sh first")

    print(
        "| database | path | req/s | p50 ms | p99 ms | p99 a request ms | server CPU ms/req "
        "| errors | load | steal % |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="marketdesk-bench-api-") as tmp:
        if args.backend in ("sqlite", "both"):
            data_dir = Path(tmp) / "sqlite"
            data_dir.mkdir()
            url = f"sqlite+aiosqlite:///{data_dir / 'marketdesk.db'}"
            rows += await bench_backend("SQLite", url, data_dir, args)
        if args.backend in ("postgresql", "both"):
            if not args.pg:
                parser.error("PostgreSQL: give --pg or MARKETDESK_TEST_DATABASE_URL")
            name = f"bench_api_{uuid.uuid4().hex[:8]}"
            url = await create_database(args.pg, name)
            try:
                data_dir = Path(tmp) / "pg"
                data_dir.mkdir()
                rows += await bench_backend("PostgreSQL", url, data_dir, args)
            finally:
                await drop_database(args.pg, name)
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(f"\nmachine: {machine}; {args.concurrency} clients; {args.requests} requests a path")
    out = ROOT / "bench" / "results" / "api.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "rows": rows}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
