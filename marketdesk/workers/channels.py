"""The channel delivery worker: sends the bot's, the operators' and the system's messages of
e-mail, Telegram and VK conversations after commit (``services.channels.delivery``).

Started by ``server.py`` when at least one outside channel is configured. A round that
ended something is followed at once by the next; an idle worker waits ``interval`` seconds,
or less when :meth:`ChannelDeliveryWorker.wake` is called."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from marketdesk.services.channels import ChannelSender, DeliveryPolicy, deliver_due
from marketdesk.services.chat import Publisher
from marketdesk.store.db import Database

from .waiting import wait_to_be_woken

__all__ = ["ChannelDeliveryWorker"]

log = logging.getLogger("marketdesk.channels")


class ChannelDeliveryWorker:
    def __init__(
        self,
        database: Database,
        senders: Mapping[str, ChannelSender],
        *,
        publish: Publisher,
        policy: DeliveryPolicy,
        interval: float,
    ) -> None:
        self.database = database
        self.senders = senders
        self.publish = publish
        self.policy = policy
        self.interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def round(self) -> int:
        if not self.senders:
            return 0
        async with self.database.sessions() as session:
            return await deliver_due(
                session, self.senders, publish=self.publish, policy=self.policy
            )

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            try:
                busy = await self.round() > 0
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed round is retried at the next tick
                log.exception("channel delivery round failed")
                busy = False
            if busy:
                continue
            self._wake.clear()
            await wait_to_be_woken(self._wake, self.interval)
