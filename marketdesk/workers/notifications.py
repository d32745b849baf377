"""The notification worker: delivers the outbox after commit (``services.notifications``).

Started by ``server.py`` in every server process; ``marketdesk worker`` runs it alone, for
extra processes on PostgreSQL (they share the work with ``FOR UPDATE SKIP LOCKED``). A round
that found work is followed at once by the next; an idle worker waits ``interval`` seconds,
or less when :meth:`NotificationWorker.wake` is called (a notification was just raised in
this process: ``services.notifications.on_raised``). Every ``interval`` seconds a round also
raises the notifications of operators' replies the customers did not see
(``services.notifications.raise_offline_replies``)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from marketdesk.services.notifications import (
    NotificationSender,
    NotifyPolicy,
    deliver_due,
    raise_offline_replies,
)
from marketdesk.store.db import Database

from .waiting import wait_to_be_woken

__all__ = ["NotificationWorker"]

log = logging.getLogger("marketdesk.notifications")


class NotificationWorker:
    def __init__(
        self,
        database: Database,
        senders: Mapping[str, NotificationSender],
        *,
        secret: bytes,
        policy: NotifyPolicy,
        interval: float,
    ) -> None:
        self.database = database
        self.senders = senders
        self.secret = secret
        self.policy = policy
        self.interval = interval
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._swept = float("-inf")

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
        async with self.database.sessions() as session:
            if time.monotonic() - self._swept >= self.interval:
                self._swept = time.monotonic()
                await raise_offline_replies(session, policy=self.policy)
            return await deliver_due(session, self.senders, secret=self.secret, policy=self.policy)

    async def run(self) -> None:
        """Until cancelled."""
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                busy = await self.round() > 0
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed round is retried at the next tick
                log.exception("notification round failed")
                busy = False
            if busy:
                continue
            self._wake.clear()
            await wait_to_be_woken(self._wake, self.interval)
