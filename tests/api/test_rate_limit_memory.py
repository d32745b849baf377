"""The abuse limits' in-memory counters sweep their expired keys at a pace, not after every
hit (marketdesk.services.rate_limit_memory): the library's own storage sweeps every key it
holds after each hit, so a hit's cost grew with the number of visitors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from marketdesk.services.rate_limit_memory import PacedMemoryStorage
from marketdesk.services.rate_limits import RateLimiter

HITS = 200


def _count_sweeps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the library's sweeps of expired keys (its private ``__expire_events``)."""
    assert hasattr(MemoryStorage, "_MemoryStorage__expire_events")
    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    original = MemoryStorage._MemoryStorage__expire_events  # type: ignore[attr-defined]
    sweeps: list[int] = []

    async def counted(self: MemoryStorage) -> None:
        sweeps.append(len(self.expirations))
        await original(self)

    monkeypatch.setattr(MemoryStorage, "_MemoryStorage__expire_events", counted)
    return sweeps


async def _hits(storage: MemoryStorage) -> None:
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("30/minute")
    for visitor in range(HITS):
        assert await limiter.hit(item, "visitor", str(visitor))
        await asyncio.sleep(0)  # let a started sweep finish, as between two requests


def test_the_library_sweeps_after_every_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the paced storage is for: the plain one sweeps all its keys nearly every hit."""
    sweeps = _count_sweeps(monkeypatch)
    asyncio.run(_hits(MemoryStorage()))
    assert len(sweeps) > HITS // 2
    assert max(sweeps) >= HITS  # each sweep walks every key (two counters a visitor)


def test_the_paced_storage_sweeps_once_in_its_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    sweeps = _count_sweeps(monkeypatch)
    storage = PacedMemoryStorage(sweep_every=3600)
    asyncio.run(_hits(storage))
    assert len(sweeps) == 1 == storage.sweeps
    assert len(storage.expirations) >= HITS  # every visitor counted


def test_expired_keys_are_still_swept_and_counts_still_expire() -> None:
    async def main() -> tuple[int, bool, int, bool]:
        storage = PacedMemoryStorage(sweep_every=0.0)
        await storage.incr("old", expiry=0.01)
        await asyncio.sleep(0.05)  # the key's own expiry, not a measurement
        await storage.incr("new", expiry=60)
        await asyncio.sleep(0)  # the sweep the hit started
        swept = "old" not in storage.expirations
        slow = PacedMemoryStorage(sweep_every=3600)
        await slow.incr("a", expiry=0.01)
        await asyncio.sleep(0.05)
        await slow.incr("b", expiry=60)
        await asyncio.sleep(0)
        # not swept yet, but a read after its expiry still counts nothing
        return storage.sweeps, swept, await slow.get("a"), "a" in slow.expirations

    sweeps, swept, count, kept = asyncio.run(main())
    assert sweeps == 2 and swept
    assert count == 0 and not kept  # the read itself dropped it


def test_the_limiter_counts_in_the_paced_storage() -> None:
    limiter = RateLimiter(rules={})
    storage: Any = limiter._memory.storage
    assert isinstance(storage, PacedMemoryStorage)
