"""The notification centre's adapter (channel ``center``): delivering an item is publishing
a ``notification`` frame on the customer's live channel (``customer:<id>``), which every
socket of the customer listens to (``channels/webchat.py``); the item itself is the stored
row, which the widget lists (``GET /api/v1/me/notifications``). A customer with no socket
open sees it in the list next time: the item counts as delivered once published."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from marketdesk.services.notifications import (
    DeliveryRefused,
    OutgoingNotification,
    centre_frame,
    customer_channel,
)

__all__ = ["CentreSender"]

Publish = Callable[[Iterable[str], dict[str, Any]], Awaitable[None]]


class CentreSender:
    def __init__(self, publish: Publish) -> None:
        self.publish = publish

    async def send(self, message: OutgoingNotification) -> None:
        if message.customer_id is None:
            raise DeliveryRefused("центр уведомлений: уведомление без покупателя")
        await self.publish([customer_channel(message.customer_id)], centre_frame(message))
