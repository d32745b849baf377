"""The question of a message that tells its story first (issue 14, item 7).

«заказала неделю назад кроссовки ребенку трек не обновляется уже три дня муж говорит
потерялся где посмотреть статус заказа»: customers write what happened, then ask. The
story's words name other things (a return, a changed phone, colleagues, a letter) and
wake rules and topics the question is not about. :func:`question_part` finds the question:
the last sentence that asks, or — without punctuation — the tail from the last question
word. :func:`weigh` decides between the reply to the whole message and the reply to the
question alone. Pure: no I/O."""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from marketdesk.text.analyzer import Analysis

__all__ = ["MIN_STORY_WORDS", "QUESTION_WORDS", "question_part", "weigh"]

#: a message shorter than this has no story to weigh
MIN_STORY_WORDS = 10
#: the question must leave at least this many words of story before it
MIN_STORY_LEFT = 4
#: words that start a question (their common misspellings and slang included)
QUESTION_WORDS = frozenset(
    [
        "как",
        "где",
        "куда",
        "почему",
        "отчего",
        "сколько",
        "скока",
        "скоко",
        "скок",
        "когда",
        "зачем",
        "можно",
        "какой",
        "какая",
        "какое",
        "какие",
        "каким",
        "какими",
        "какую",
        "каких",
        "чо",
        "че",
        "чё",
        "подскажите",
        "объясните",
        "скажите",
        "помогите",
    ]
)
#: «что» starts a question only with these («что делать», «что значит», «что такое»)
_WHAT = frozenset({"что", "чо", "че", "чё"})
_WHAT_NEXT = frozenset({"делать", "значит", "такое", "за", "с", "мне", "будет"})
_BUT = frozenset({"а", "но", "однако", "хотя"})
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


def _asks(word: str, following: str | None) -> bool:
    if word in _WHAT:
        return following in _WHAT_NEXT
    return word in QUESTION_WORDS


def _by_sentences(text: str, total: int) -> str | None:
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) < 2:
        return None
    asking = [
        s for s in sentences if s.endswith("?") or (_words(s) and _asks(*[*_words(s), ""][:2]))
    ]
    chosen = asking[-1] if asking else sentences[-1]
    count = len(_words(chosen))
    return chosen if 2 <= count <= total - MIN_STORY_LEFT else None


def _by_question_word(words: list[str]) -> str | None:
    for i in range(len(words) - 2, MIN_STORY_LEFT - 1, -1):
        following = words[i + 1] if i + 1 < len(words) else None
        if _asks(words[i], following):
            return " ".join(words[i:])
    if words[-1] in QUESTION_WORDS:
        # «… а смс о заказах не приходят почему»: the clause after the last «а», «но»
        for i in range(len(words) - 3, MIN_STORY_LEFT - 1, -1):
            if words[i] in _BUT:
                return " ".join(words[i + 1 :])
    return None


def question_part(text: str) -> str | None:
    """The question of a message that tells a story first, or None (a short message, or no
    question found apart from the story)."""
    words = _words(text[:4000])
    if len(words) < MIN_STORY_WORDS:
        return None
    found = _by_sentences(text[:4000], len(words))
    if found is not None:
        return found
    return _by_question_word(words)


#: the question alone is trusted at or above this confidence (the bot's answer threshold)
SURE = 0.45
#: a refusal of the whole message gives way only to a question that asks how to do something
_HOW = frozenset({"как", "где", "куда"})


class _Reply(Protocol):
    @property
    def action(self) -> str: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def confidence(self) -> float: ...
    @property
    def reason(self) -> str: ...


_R = TypeVar("_R", bound=_Reply)


def weigh(whole: _R, alone: _R, question_lemmas: Analysis, question: str) -> _R:
    """The reply to a story-first message: the question's own when it is sure and the
    whole message found no sure answer (a rule the story's words woke — a return, a changed
    phone, a colleague — does not decide), the whole message's otherwise. A refusal stands
    unless the question alone asks how to do something and is answered surely («… коллеги
    прислали письмо с сертификатом, как активировать этот код»)."""
    sure = alone.action == "answer" and alone.topic is not None and alone.confidence >= SURE
    if not sure or alone.reason.startswith("phishing"):
        return whole
    if whole.action == "refuse":
        first = question_lemmas.words[:1]
        return alone if first and first[0] in _HOW else whole
    if whole.action == "answer" and (whole.topic == alone.topic or whole.reason == "confident"):
        return whole  # the story named the subject («товар из-за рубежа … как проверить»)
    return alone
