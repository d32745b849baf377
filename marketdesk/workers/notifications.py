"""The notification worker: delivers the outbox after commit (``services.notifications``).

Started by ``server.py`` in every server process; ``marketdesk worker`` runs it alone, for
extra processes on PostgreSQL (they share the work with ``FOR UPDATE SKIP LOCKED``). A round
that found work is followed at once by the next; an idle worker waits ``interval`` seconds,
or less when :meth:`NotificationWorker.wake` is called (a notification was just raised in
this process: ``services.notifications.on_raised``). Every ``interval`` seconds a round also
raises the notifications of operators' replies the customers did not see
(``services.notifications.raise_offline_replies``)."""

from __future__ import annotations

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

from .waiting import RoundWorker

__all__ = ["NotificationWorker"]

log = logging.getLogger("marketdesk.notifications")


class NotificationWorker(RoundWorker):
    def __init__(
        self,
        database: Database,
        senders: Mapping[str, NotificationSender],
        *,
        secret: bytes,
        policy: NotifyPolicy,
        interval: float,
    ) -> None:
        super().__init__(interval=interval, log=log, what="notification")
        self.database = database
        self.senders = senders
        self.secret = secret
        self.policy = policy
        self._swept = float("-inf")

    async def round(self) -> int:
        async with self.database.sessions() as session:
            if time.monotonic() - self._swept >= self.interval:
                self._swept = time.monotonic()
                await raise_offline_replies(session, policy=self.policy)
            return await deliver_due(session, self.senders, secret=self.secret, policy=self.policy)
