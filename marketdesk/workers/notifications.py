"""The notification worker: delivers the outbox after commit (``services.notifications``).

Started by ``server.py`` in every server process; ``marketdesk worker`` runs it alone, for
extra processes on PostgreSQL (they share the work with ``FOR UPDATE SKIP LOCKED``). A round
that found work is followed at once by the next; an idle worker waits ``interval`` seconds,
or less when :meth:`NotificationWorker.wake` is called (a code was just requested)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from marketdesk.services.notifications import NotificationSender, NotifyPolicy, deliver_due
from marketdesk.store.db import Database

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

    def wake(self) -> None:
        self._wake.set()

    async def round(self) -> int:
        async with self.database.sessions() as session:
            return await deliver_due(session, self.senders, secret=self.secret, policy=self.policy)

    async def run(self) -> None:
        """Until cancelled."""
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
