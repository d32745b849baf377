"""What the bot remembers between the turns of a dialogue, and how a reply picks one of
the options the bot offered."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketdesk.text.analyzer import Analysis

__all__ = ["DialogState", "choice_in"]

_ORDINALS = {
    "первый": 1,
    "второй": 2,
    "третий": 3,
    "четвертый": 4,
    "пятый": 5,
    "один": 1,
    "два": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
}
_NUMBER_RE = re.compile(r"^\s*(?:№\s*)?(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True, slots=True)
class DialogState:
    """What the bot remembers of a dialogue: the last topic, and the question it asked."""

    topic: str | None = None
    pending: str | None = None  # choose_topic | choose_order | certificate_code | return_*
    options: tuple[str, ...] = ()
    data: tuple[str, ...] = ()


def choice_in(text: str, analysis: Analysis, count: int) -> int | None:
    """The option (0-based) a reply picks: «2», «2.», «второй», «давай первое»."""
    match = _NUMBER_RE.match(text)
    if match:
        number = int(match.group(1))
        return number - 1 if 1 <= number <= count else None
    if len(analysis.content) > 3:
        return None
    for lemma in analysis.lemmas:
        n = _ORDINALS.get(lemma.replace("ё", "е"))
        if n is not None:
            return n - 1 if n <= count else None
    return None
