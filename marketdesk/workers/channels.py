"""The channel delivery worker: sends the bot's, the operators' and the system's messages of
e-mail, Telegram and VK conversations after commit (``services.channels.delivery``).

Started by ``server.py`` when at least one outside channel is configured. A round that
ended something is followed at once by the next; an idle worker waits ``interval`` seconds,
or less when :meth:`ChannelDeliveryWorker.wake` is called."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from marketdesk.services.channels import ChannelSender, DeliveryPolicy, deliver_due
from marketdesk.services.chat import Publisher
from marketdesk.store.db import Database

from .waiting import RoundWorker

__all__ = ["ChannelDeliveryWorker"]

log = logging.getLogger("marketdesk.channels")


class ChannelDeliveryWorker(RoundWorker):
    def __init__(
        self,
        database: Database,
        senders: Mapping[str, ChannelSender],
        *,
        publish: Publisher,
        policy: DeliveryPolicy,
        interval: float,
    ) -> None:
        super().__init__(interval=interval, log=log, what="channel delivery")
        self.database = database
        self.senders = senders
        self.publish = publish
        self.policy = policy

    async def round(self) -> int:
        if not self.senders:
            return 0
        async with self.database.sessions() as session:
            return await deliver_due(
                session, self.senders, publish=self.publish, policy=self.policy
            )
