"""Support lines: which line a conversation goes to.

Seed 002, «Как связаться с техподдержкой OZON Travel»: «Бесплатная и приоритетная
линия поддержки Ozon Travel доступна следующим клиентам: забронировавшим отель;
корпоративным клиентам Ozon Travel; клиентам с пакетами поддержки Ozon Travel
«Приоритет» или «Все включено».» Other Travel customers use the ordinary chat.

Seed 002, seller support: sellers write to their own support (topic, sub-topic,
attachments, a ticket number), not to the customer line.

Seed 001, «Ozon Chat»: the buyer writes to the seller of a product in the chat; the seller
finds the buyers' questions under «Покупатели». That dialogue is a conversation on its own
line, ``seller_chat``, with the seller as its party: no support queue serves it (nobody is
given the line), the seller's accounts answer it (``domain.chat_access``).

Decisions: a seller conversation always goes to the seller line, whatever the
other flags say (it is about the seller's business, not a trip). Package names
are compared ignoring case, «ё»/«е», quotes and surrounding spaces; the English
slugs ``priority`` and ``all_inclusive`` are accepted too. An unknown package
gives no priority.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "LINE_TITLES_RU",
    "PRIORITY_PACKAGES",
    "Line",
    "is_priority_package",
    "route_line",
]


class Line(StrEnum):
    """A support line (a separate queue of conversations)."""

    GENERAL = "general"
    TRAVEL_PRIORITY = "travel_priority"
    SELLER = "seller"
    SELLER_CHAT = "seller_chat"

    @property
    def title_ru(self) -> str:
        """Russian display name."""
        return LINE_TITLES_RU[self]


LINE_TITLES_RU: Final = MappingProxyType(
    {
        Line.GENERAL: "Общая линия поддержки",
        Line.TRAVEL_PRIORITY: "Приоритетная линия Travel",
        Line.SELLER: "Поддержка продавцов",
        Line.SELLER_CHAT: "Чат с продавцом",
    }
)

PRIORITY_PACKAGES: Final = MappingProxyType(
    {
        "приоритет": "Приоритет",
        "priority": "Приоритет",
        "все включено": "Все включено",
        "all_inclusive": "Все включено",
        "all inclusive": "Все включено",
    }
)
"""Seed 002: Travel support packages «Приоритет» and «Все включено» (normalised key → name)."""

_QUOTES: Final = "«»\"'„“”"


def _normalize_package(package: str) -> str:
    cleaned = package.strip().strip(_QUOTES).strip().lower().replace("ё", "е")
    return " ".join(cleaned.split())


def is_priority_package(package: str | None) -> bool:
    """Whether ``package`` is «Приоритет» or «Все включено»."""
    return package is not None and _normalize_package(package) in PRIORITY_PACKAGES


def route_line(
    *,
    has_hotel_booking: bool = False,
    is_corporate: bool = False,
    package: str | None = None,
    is_seller: bool = False,
) -> Line:
    """Choose the line for a new conversation.

    ``is_corporate`` means a corporate customer of Travel; ``package`` is the
    customer's Travel support package, if any.
    """
    if is_seller:
        return Line.SELLER
    if has_hotel_booking or is_corporate or is_priority_package(package):
        return Line.TRAVEL_PRIORITY
    return Line.GENERAL
