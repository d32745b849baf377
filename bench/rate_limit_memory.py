"""Benchmark (not a test): the CPU of one rate-limit hit in memory as the keys grow, with the
``limits`` library's own memory storage and with marketdesk's paced one
(``marketdesk.services.rate_limit_memory``).

    .venv/bin/python bench/rate_limit_memory.py [--keys 1000,10000,30000]

Each step makes that many new keys (a new visitor each, the widget's case), one hit each, in
one event loop with a pass of the loop after every hit as between two requests; printed: the
CPU per hit of the step, for both storages."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketdesk.services.rate_limit_memory import PacedMemoryStorage


async def per_hit(storage: MemoryStorage, steps: list[int]) -> list[float]:
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("30/minute")
    made = 0
    result = []
    for keys in steps:
        started = time.process_time()
        for visitor in range(made, keys):
            await limiter.hit(item, "visitor", str(visitor))
            await asyncio.sleep(0)
        result.append((time.process_time() - started) / max(1, keys - made))
        made = keys
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--keys", type=lambda v: [int(k) for k in v.split(",")], default=[1000, 10000, 30000]
    )
    args = parser.parse_args()
    plain = asyncio.run(per_hit(MemoryStorage(), args.keys))
    paced = asyncio.run(per_hit(PacedMemoryStorage(), args.keys))
    print("| visitors so far | library's storage | paced storage |")
    print("| --- | --- | --- |")
    for keys, a, b in zip(args.keys, plain, paced, strict=True):
        print(f"| {keys} | {a * 1e6:.0f} µs a hit | {b * 1e6:.0f} µs a hit |")


if __name__ == "__main__":
    main()
