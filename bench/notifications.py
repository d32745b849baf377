"""Benchmark (not a test): the notification outbox's delivery rate and event→send latency.

    .venv/bin/python bench/notifications.py [--count 10000] [--workers 1] [--concurrency 8]
                                            [--pg postgresql://root@127.0.0.1:5432/test]

For each database (SQLite always; PostgreSQL with --pg or MARKETDESK_TEST_DATABASE_URL) and
each channel (the HTTP SMS gateway, a local SMTP server) it creates a fresh database, queues
``--count`` notifications at once through ``services.notifications.notify`` (committed in
transactions of 500: the enqueue rate), then starts ``--workers`` delivery loops (each
``deliver_due`` rounds with its own session, as ``workers/notifications.py`` runs them) and
waits until every notification is sent. Reported: the sustained delivery rate (sent per
second from the first claim to the last send) and the latency from the event (the row's
``created_at``) to its ``sent_at``: p50, p99 and the maximum over all ``--count``.

The receivers run in child processes (no shared GIL): a threaded HTTP server that answers 200
to each POST, and aiosmtpd accepting every letter. Prints a Markdown table; writes
bench/results/notifications.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import os
import platform
import socket
import sys
import tempfile
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from marketdesk.channels.email import SmtpConfig, SmtpEmailSender  # noqa: E402
from marketdesk.channels.sms import HttpSmsGateway  # noqa: E402
from marketdesk.domain.notifications import NotificationChannel  # noqa: E402
from marketdesk.services import notifications  # noqa: E402
from marketdesk.settings import Settings, normalize_database_url  # noqa: E402
from marketdesk.store.db import Database  # noqa: E402
from marketdesk.store.migrate import upgrade  # noqa: E402
from marketdesk.store.models import Notification  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http_gateway(port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def _smtp_server(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        time.sleep(3600)


def _wait_port(port: int) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _enqueue(database: Database, channel: NotificationChannel, count: int) -> float:
    started = time.perf_counter()
    run = uuid.uuid4().hex[:8]
    async with database.sessions() as session:
        for i in range(count):
            address = f"+7990{i:07d}" if channel is NotificationChannel.SMS else f"c{i}@example.ru"
            await notifications.notify(
                session,
                event="withdrawal_created",
                data={"amount": "150"},
                idempotency_key=f"bench:{run}:{i}",
                to=notifications.Recipient(channel, address),
            )
            if i % 500 == 499:
                await session.commit()
        await session.commit()
    return count / (time.perf_counter() - started)


async def _deliver(
    database: Database, sender: Any, channel: str, workers: int, policy: Any, count: int
) -> dict[str, float]:
    started = time.perf_counter()

    async def loop() -> None:
        async with database.sessions() as session:
            while True:
                sent = await notifications.deliver_due(
                    session, {channel: sender}, secret=b"bench", policy=policy
                )
                if sent == 0:
                    left = await session.scalar(
                        select(func.count()).where(Notification.status == "queued")
                    )
                    await session.commit()
                    if not left:
                        return
                    await asyncio.sleep(0.01)

    await asyncio.gather(*(loop() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    async with database.sessions() as session:
        rows = (await session.execute(select(Notification.created_at, Notification.sent_at))).all()
    latencies = [(s - c).total_seconds() for c, s in rows if s is not None]
    assert len(latencies) == count, (len(latencies), count)
    return {
        "rate": count / elapsed,
        "p50": _pct(latencies, 0.5),
        "p99": _pct(latencies, 0.99),
        "max": max(latencies),
    }


async def _one(url: str, channel: NotificationChannel, args: argparse.Namespace) -> dict[str, Any]:
    database = Database(url)
    try:
        await upgrade(database)
        async with database.sessions() as session:
            await session.execute(delete(Notification))
            await session.commit()
        policy = dataclasses.replace(
            notifications.NotifyPolicy.from_settings(
                Settings(data_dir=Path(tempfile.gettempdir()))
            ),
            concurrency=args.concurrency,
            batch=args.batch,
        )
        enqueue = await _enqueue(database, channel, args.count)
        if channel is NotificationChannel.SMS:
            sender: Any = HttpSmsGateway(f"http://127.0.0.1:{args.http_port}/send")
        else:
            sender = SmtpEmailSender(SmtpConfig(host="127.0.0.1", port=args.smtp_port))
        result = await _deliver(database, sender, channel.value, args.workers, policy, args.count)
        return {"enqueue_rate": enqueue, **result}
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    args.http_port, args.smtp_port = _free_port(), _free_port()
    children = [
        multiprocessing.Process(target=_http_gateway, args=(args.http_port,), daemon=True),
        multiprocessing.Process(target=_smtp_server, args=(args.smtp_port,), daemon=True),
    ]
    for child in children:
        child.start()
    _wait_port(args.http_port)
    _wait_port(args.smtp_port)
    results = []
    try:
        for backend in ("sqlite", "postgresql"):
            if (backend == "postgresql" and not args.pg) or backend not in args.backends:
                continue
            for channel in (NotificationChannel.SMS, NotificationChannel.EMAIL):
                with tempfile.TemporaryDirectory() as tmp:
                    if backend == "sqlite":
                        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                    else:  # the database given, migrated; its notifications are emptied
                        url = normalize_database_url(args.pg)
                    figures = asyncio.run(_one(url, channel, args))
                results.append({"backend": backend, "channel": channel.value, **figures})
                print(results[-1], flush=True)
    finally:
        for child in children:
            child.terminate()
    print(
        f"\n{args.count} queued, {args.workers} worker(s), concurrency {args.concurrency}, "
        f"batch {args.batch}; {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print("| database | channel | enqueue (/s) | delivery (/s) | event→send p50 / p99 / max (s) |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['backend']} | {r['channel']} | {r['enqueue_rate']:.0f} | {r['rate']:.0f} | "
            f"{r['p50']:.1f} / {r['p99']:.1f} / {r['max']:.1f} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = f"notifications-{'-'.join(r['backend'] for r in results[::2])}-w{args.workers}.json"
    (out / name).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()
