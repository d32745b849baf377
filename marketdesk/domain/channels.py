"""The channels a conversation arrives through.

Every conversation is ``web`` today (the widget, the site's chat); e-mail, Telegram and
VK are the channels the coming channel adapters add (``channels/``).
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["CHANNEL_TITLES_RU", "Channel"]


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
