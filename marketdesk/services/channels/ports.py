"""The interface of an outside channel's outbound side (``marketdesk.channels``): it is given
a :class:`ChannelMessage` and returns the channel's id of what it sent, or raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from marketdesk.services.notifications.ports import DeliveryRefused

__all__ = ["ChannelMessage", "ChannelSender", "DeliveryRefused", "NotForChannel", "OutboundFile"]


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """An attachment of a message going out: its file in the attachment store."""

    filename: str
    content_type: str
    size: int
    path: Path


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """One stored message to deliver through its conversation's channel."""

    delivery_id: int
    message_id: int
    conversation_id: int
    channel: str
    address: str
    """The customer's address in the channel: an e-mail address, a Telegram chat id, a VK
    peer id."""
    sender_kind: str  # bot, operator, system
    sender_name: str | None
    text: str
    line: str
    ticket: str
    """The request's number as the customer sees it (``[№ 12345]`` in an e-mail subject)."""
    idempotency_key: str
    """The same on every try of this delivery (VK's ``random_id`` comes from it)."""
    attachments: tuple[OutboundFile, ...] = ()
    thread: tuple[str, ...] = ()
    """The channel's ids of the conversation's messages so far, oldest first (an e-mail's
    ``References``; the last one is ``In-Reply-To``)."""
    contact: dict[str, Any] = field(default_factory=dict)
    """What the adapter keeps about the contact (``channel_contacts.extra``: the subject of
    the first letter, a display name)."""


class NotForChannel(Exception):
    """The adapter does not carry this kind of message (e-mail and a system note such as
    «оператор подключился»): the delivery is ``skipped``, not failed."""


class ChannelSender(Protocol):
    """A channel's outbound adapter."""

    channel: str

    async def deliver(self, message: ChannelMessage) -> str | None:
        """Send ``message``; → the channel's id of the sent message (None if it gives none).
        Raise :class:`DeliveryRefused` for a refusal for good, :class:`NotForChannel` for a
        message it does not carry; any other exception is temporary (retried)."""
        ...
