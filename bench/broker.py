"""Benchmark (not a test): what a live event costs a server process that publishes it through
Redis (``marketdesk.realtime.RedisBroker``, ``serve --workers N``), and how many Redis
messages carry the events.

    .venv/bin/python bench/broker.py [--events 4000] [--publishers 1,16]
                                     [--redis redis://127.0.0.1:6379/0]

One broker, started as a server process starts it, with a subscriber of the events'
conversation (as a process holding that conversation's socket has: it reads back its own
events), publishes ``--events`` chat-message events (each to its conversation and its
operator, two Redis channels) from each number of ``--publishers`` writers at once (a
request's after-commit work awaits its publish). Printed for each: the CPU of this process
per event (the publish and the reading back), the wall time per event, and the Redis
messages per event (the server's ``PUBLISH`` count, from ``INFO commandstats``; an event of
two channels is two, or a share of two in a batch). A real Redis server is needed."""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketdesk.realtime import RedisBroker

EVENT: dict[str, Any] = {
    "type": "message",
    "conversation_id": 1,
    "message": {"id": 1, "seq": 3, "sender_kind": "customer", "text": "Где мой заказ? " * 8},
    "conversation": None,
}


def _publishes(url: str) -> int:
    stats = redis.Redis.from_url(url).info("commandstats")
    return int(stats.get("cmdstat_publish", {}).get("calls", 0))


async def measure(url: str, events: int, publishers: int) -> tuple[float, float, float]:
    """→ (CPU µs, wall µs, Redis messages) per event."""
    broker = RedisBroker(url, prefix=f"marketdesk-bench:{uuid.uuid4().hex[:8]}:")
    await broker.start()
    received = 0

    def count(_channel: str, _event: dict[str, Any]) -> None:
        nonlocal received
        received += 1

    try:
        await broker.subscribe(["conversation:1"], count).ready()
        each = events // publishers

        async def writer() -> None:
            for _ in range(each):
                await broker.publish(["conversation:1", "operator:2"], EVENT)

        before = _publishes(url)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(publishers)))
        async with asyncio.timeout(30):
            while received < each * publishers:  # noqa: ASYNC110 - a plain callback counts
                await asyncio.sleep(0.001)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        messages = _publishes(url) - before
        total = each * publishers
        return cpu / total * 1e6, wall / total * 1e6, messages / total
    finally:
        await broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument(
        "--publishers", type=lambda v: [int(n) for n in v.split(",")], default=[1, 16]
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print("| writers at once | CPU per event | wall per event | Redis messages per event |")
    print("| --- | --- | --- | --- |")
    for publishers in args.publishers:
        cpu, wall, messages = asyncio.run(measure(args.redis, args.events, publishers))
        print(f"| {publishers} | {cpu:.0f} µs | {wall:.0f} µs | {messages:.2f} |")
    print(f"\nmachine: {platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
