"""The channels a conversation arrives through, and the rules of delivering into them.

``web`` is the widget (the site's chat); e-mail, Telegram and VK are the channel adapters of
``channels/``. What the customer writes in any of them becomes a message of one conversation;
what the bot, an operator or the system writes there (not a private note) is delivered back
through the conversation's channel, stored first and sent after (``channel_deliveries``).
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "CHANNEL_TITLES_RU",
    "DELIVERY_STATUS_TITLES_RU",
    "OUTBOUND_SENDERS",
    "Channel",
    "DeliveryStatus",
    "needs_delivery",
]


class Channel(StrEnum):
    """Where a conversation's customer writes from."""

    WEB = "web"
    EMAIL = "email"
    TELEGRAM = "telegram"
    VK = "vk"

    @property
    def title_ru(self) -> str:
        """Russian display name."""
        return CHANNEL_TITLES_RU[self]


CHANNEL_TITLES_RU: Final = MappingProxyType(
    {
        Channel.WEB: "Чат на сайте",
        Channel.EMAIL: "Электронная почта",
        Channel.TELEGRAM: "Telegram",
        Channel.VK: "ВКонтакте",
    }
)


class DeliveryStatus(StrEnum):
    """Where a message into an outside channel stands (``channel_deliveries.status``)."""

    PENDING = "pending"  # stored, not sent yet (or waiting for its next try)
    SENT = "sent"  # the channel's server took it
    FAILED = "failed"  # given up after the tries, or refused outright: «не доставлено»
    SKIPPED = "skipped"  # not for this channel (a system note e-mail does not carry)


DELIVERY_STATUS_TITLES_RU: Final = MappingProxyType(
    {
        DeliveryStatus.PENDING: "отправляется",
        DeliveryStatus.SENT: "доставлено",
        DeliveryStatus.FAILED: "не доставлено",
        DeliveryStatus.SKIPPED: "не отправлялось в канал",
    }
)

OUTBOUND_SENDERS: Final = frozenset({"bot", "operator", "system"})
"""Whose messages go out to the customer's channel (the customer's own came from it)."""


def needs_delivery(channel: str, sender_kind: str, private: bool) -> bool:
    """Whether a stored message must be delivered through the conversation's channel: a
    conversation outside the web chat, a message to the customer (not their own, not a
    private note). The web chat needs none: its sockets read the transcript."""
    return channel != Channel.WEB and not private and sender_kind in OUTBOUND_SENDERS
