"""Lemmas and grammatical hints from pymorphy3 (one analyser per process, cached)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["WordInfo", "analyse", "lemma", "morph"]

_lock = threading.Lock()
_analyser: Any = None


def morph() -> Any:
    """The process-wide ``pymorphy3.MorphAnalyzer`` (created on first use)."""
    global _analyser
    if _analyser is None:
        with _lock:
            if _analyser is None:
                import pymorphy3

                _analyser = pymorphy3.MorphAnalyzer()
    return _analyser


@dataclass(frozen=True, slots=True)
class WordInfo:
    """What the bot needs to know about one normalised word."""

    word: str
    lemma: str
    pos: str | None
    known: bool  # in the dictionary (not guessed)
    imperative: bool  # «отмените», «верните»: a request for an action


_CYRILLIC = frozenset("абвгдежзийклмнопрстуфхцчшщъыьэюя")
_SOFT_SIGN_RE = re.compile("([ьъ])([еёюя])")
_SWAP_SIGN = {"ь": "ъ", "ъ": "ь"}


#: endings typed as they sound (issue 14, item 7): «применяеться», «активируеца»
_SOUNDS_ALIKE = (("ться", "тся"), ("тся", "ться"), ("тса", "тся"), ("ца", "тся"))


def _sound_alike(m: Any, word: str) -> tuple[str, bool]:
    """An unknown word whose ending is written as it sounds, spelt as the dictionary
    knows it (pymorphy3 decides), or the word as it was."""
    for typed, meant in _SOUNDS_ALIKE:
        if word.endswith(typed) and len(word) > len(typed) + 3:
            fixed = word[: -len(typed)] + meant
            if m.word_is_known(fixed):
                return fixed, True
    return word, False


@lru_cache(maxsize=200_000)
def analyse(word: str) -> WordInfo:
    """Analyse one lower-case normalised word; words the dictionary does not know keep
    their own form as lemma (pymorphy's guesses for slang and typos are mostly wrong)."""
    if not word or not (set(word) & _CYRILLIC) or len(word) > 40:
        return WordInfo(word, word, None, False, False)
    m = morph()
    known = bool(m.word_is_known(word))
    if not known and _SOFT_SIGN_RE.search(word):
        # «обьясните», «пьедестал» typed either way: ь and ъ before е/ё/ю/я are confused
        swapped = _SOFT_SIGN_RE.sub(lambda x: _SWAP_SIGN[x.group(1)] + x.group(2), word)
        if m.word_is_known(swapped):
            word, known = swapped, True
    if not known:
        word, known = _sound_alike(m, word)
    parses = m.parse(word)
    if not parses or not known:
        return WordInfo(word, word, None, False, False)
    best = parses[0]
    tag = best.tag
    imperative = any("impr" in p.tag for p in parses[:2] if p.tag.POS == "VERB")
    pos = str(tag.POS) if tag.POS else None
    return WordInfo(word, best.normal_form.replace("ё", "е"), pos, True, imperative)


def lemma(word: str) -> str:
    """The dictionary form of a normalised word (the word itself when unknown)."""
    return analyse(word).lemma
