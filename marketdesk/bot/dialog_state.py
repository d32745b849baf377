"""What the bot remembers between the turns of a dialogue, and how a reply picks one of
the options the bot offered."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from marketdesk.text.analyzer import Analysis

__all__ = ["DialogState", "choice_in", "choice_named"]

NAMED_CHOICE_WORDS = 3
"""At most this many content words make a reply that names an option by its words
(«активировать», «как вернуть»); a longer one is a question of its own."""

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


def choice_named(reply: Analysis, titles: Sequence[Analysis]) -> int | None:
    """The option (0-based) a short reply names by a word of its title that the other
    options' titles lack: «активировать» after «1. Как активировать сертификат 2. Срок
    действия сертификата»; None when no option, or more than one, is named so (a word every
    title has, «сертификат», names none of them)."""
    words = set(reply.content)
    if not words or len(reply.content) > NAMED_CHOICE_WORDS or len(titles) < 2:
        return None
    own = [set(title.content) for title in titles]
    named = [
        n
        for n, title in enumerate(own)
        if words & (title - set().union(*(other for m, other in enumerate(own) if m != n)))
    ]
    return named[0] if len(named) == 1 else None
