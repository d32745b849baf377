"""Messages into the outside channels (e-mail, Telegram, VK): a message to the customer of
such a conversation gets its outbox row (``channel_deliveries``) in the message's own
transaction, so what is stored is delivered and nothing is delivered that was not stored.
The web chat needs none (its sockets read the transcript): for it this is one comparison.
Delivery itself is ``services.channels.delivery``'s (a worker, after the commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import DeliveryStatus, needs_delivery
from marketdesk.store.models import ChannelDelivery, utcnow

from .views import MessageView

__all__ = ["DELIVERIES", "delivery_row", "queue", "queue_sync"]

DELIVERIES: Table = ChannelDelivery.__table__  # type: ignore[assignment]
_INSERT = insert(DELIVERIES)


def delivery_row(
    message_id: int, conversation_id: int, channel: str, now: datetime
) -> dict[str, Any]:
    """The outbox row of one message (due at once)."""
    return {
        "message_id": message_id,
        "conversation_id": conversation_id,
        "channel": channel,
        "status": DeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": None,
        "created_at": now,
    }


async def queue(session: AsyncSession, message: MessageView, channel: str) -> None:
    """In the transaction that stored ``message`` in a conversation of ``channel``: its
    outbox row, if it goes out through the channel."""
    if needs_delivery(channel, message.sender_kind, message.private):
        await session.execute(
            _INSERT, [delivery_row(message.id, message.conversation_id, channel, utcnow())]
        )


def queue_sync(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """The group commit's form of :func:`queue`: ``rows`` made by :func:`delivery_row`."""
    if rows:
        connection.execute(_INSERT, rows)
