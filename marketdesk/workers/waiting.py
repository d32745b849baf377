"""The idle wait of the delivery workers: until woken, or ``interval`` seconds."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["wait_to_be_woken"]


async def wait_to_be_woken(wake: asyncio.Event, interval: float) -> None:
    """Wait until ``wake`` is set or ``interval`` seconds pass (the caller clears it first).

    asyncio.timeout, not wait_for: on Python 3.11 wait_for may swallow the cancellation that
    arrives as the wake-up does, and the server's shutdown, which cancels the worker and
    waits for it, would wait for ever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(interval):
            await wake.wait()
