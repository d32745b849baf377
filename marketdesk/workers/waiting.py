"""The delivery workers' loop of rounds, and their idle wait: until woken, or ``interval``
seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging

__all__ = ["RoundWorker", "wait_to_be_woken"]


async def wait_to_be_woken(wake: asyncio.Event, interval: float) -> None:
    """Wait until ``wake`` is set or ``interval`` seconds pass (the caller clears it first).

    asyncio.timeout, not wait_for: on Python 3.11 wait_for may swallow the cancellation that
    arrives as the wake-up does, and the server's shutdown, which cancels the worker and
    waits for it, would wait for ever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(interval):
            await wake.wait()


class RoundWorker:
    """A delivery worker of rounds (the notifications', the channel replies', the
    webhooks'): a round that did something is followed at once by the next; an idle worker
    waits ``interval`` seconds, or less when :meth:`wake` is called. A failed round is logged
    and tried again at the next tick. Subclasses give :meth:`round`; :meth:`round_now` runs
    one from outside the loop (a request that wants its delivery done before it ends), one
    round of the process at a time."""

    def __init__(self, *, interval: float, log: logging.Logger, what: str) -> None:
        self.interval = interval
        self._log = log
        self._what = what
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # the loop's rounds and round_now's take turns: a round_now that comes while the loop
        # is sending what it claimed waits for that to end, rather than finding it claimed
        # and returning before it is sent
        self._one_round = asyncio.Lock()

    def wake(self) -> None:
        """Start the next round now. Only from the worker's own event loop (the process's
        requests): a commit in another loop (a script, a test harness) is left to the
        tick, as a commit in another process is."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is None or self._loop is running:
            self._wake.set()

    async def round(self) -> int:
        """One round → how many items it dealt with."""
        raise NotImplementedError

    async def round_now(self) -> int:
        """One round now, after the round in progress (if any) of :meth:`run`."""
        async with self._one_round:
            return await self.round()

    async def run(self) -> None:
        """Until cancelled."""
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                busy = await self.round_now() > 0
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed round is retried at the next tick
                self._log.exception("%s round failed", self._what)
                busy = False
            if busy:
                continue
            self._wake.clear()
            await wait_to_be_woken(self._wake, self.interval)
