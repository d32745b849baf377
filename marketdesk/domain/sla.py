"""Service levels of a conversation: the clocks a supervisor watches.

Seed 002 promises an order of answers, not numbers: the bot at once, then a person; the
Travel line «приоритетная»; e-mail «более подробные, но медленные ответы». The targets
themselves are configuration (the seeds give none); this module names the clocks.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["SLA_KIND_TITLES_RU", "SlaKind"]


class SlaKind(StrEnum):
    """One clock of a conversation's service level."""

    FIRST_RESPONSE = "first_response"  # from the handoff to a person to the first reply
    NEXT_RESPONSE = "next_response"  # from a customer's message to the operator's next reply
    RESOLUTION = "resolution"  # from the handoff to the conversation resolved

    @property
    def title_ru(self) -> str:
        """Russian display name."""
        return SLA_KIND_TITLES_RU[self]


SLA_KIND_TITLES_RU: Final = MappingProxyType(
    {
        SlaKind.FIRST_RESPONSE: "Первый ответ",
        SlaKind.NEXT_RESPONSE: "Следующий ответ",
        SlaKind.RESOLUTION: "Решение",
    }
)
