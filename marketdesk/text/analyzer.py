"""From raw text to the terms the knowledge-base index works with.

Pipeline: normalise → words → lemmas (pymorphy3) → domain synonyms (phrases and
words) → stop words out → terms. Negation («не приходят») adds a joined term
«не_приходить»; adjacent content lemmas add an order-free bigram «a+b».
Typo tolerance lives in :class:`TypoCorrector`, which needs the vocabulary of an
index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from marketdesk.text.morph import analyse
from marketdesk.text.normalize import normalize
from marketdesk.text.stopwords import NEGATIONS, STOPWORDS
from marketdesk.text.synonyms import Synonyms, default_synonyms

__all__ = [
    "Analysis",
    "TextAnalyzer",
    "TypoCorrector",
    "bigram",
    "tokenize",
]

_TOKEN_RE = re.compile(r"[a-zа-я0-9]+")
MAX_WORDS = 400
STEMS = False  # add «~» + the first letters of long lemmas: «мошенник» ~ «мошеннический»
STEM_LEN = 5


def tokenize(text: str) -> list[str]:
    """Words of a text, normalised (at most ``MAX_WORDS``)."""
    return _TOKEN_RE.findall(normalize(text))[:MAX_WORDS]


def bigram(a: str, b: str) -> str:
    return f"{a}+{b}" if a <= b else f"{b}+{a}"


@dataclass(frozen=True, slots=True)
class Analysis:
    """One text, analysed."""

    words: tuple[str, ...]  # normalised words
    lemmas: tuple[str, ...]  # canonical lemmas (synonyms applied), stop words kept
    content: tuple[str, ...]  # canonical lemmas without stop words, in order
    unknown: tuple[str, ...]  # content words the dictionary does not know
    imperatives: tuple[str, ...]  # lemmas of imperative verbs («отмените» → «отменить»)

    def terms(self, bigrams: bool = True, stems: bool = STEMS) -> list[str]:
        out = list(self.content)
        if stems:
            out.extend(
                "~" + lem[:STEM_LEN]
                for lem in self.content
                if len(lem) > STEM_LEN + 1 and lem.isalpha()
            )
        if bigrams:
            out.extend(bigram(a, b) for a, b in zip(self.content, self.content[1:], strict=False))
        # negation: «не приходят» → «не_приходить»
        for i, lem in enumerate(self.lemmas[:-1]):
            if lem in NEGATIONS:
                nxt = self.lemmas[i + 1]
                if nxt not in STOPWORDS and nxt not in NEGATIONS:
                    out.append("не_" + nxt)
        return out


class TextAnalyzer:
    """Stateless apart from its caches; safe to share between threads."""

    def __init__(self, synonyms: Synonyms | None = None) -> None:
        self.synonyms = synonyms if synonyms is not None else default_synonyms()
        self._word_term = lru_cache(maxsize=100_000)(self._word_term_uncached)

    def _word_term_uncached(self, word: str) -> tuple[str, bool, bool]:
        """word → (canonical lemma, known, imperative)."""
        form = self.synonyms.forms.get(word)
        if form is not None:
            return form, True, False
        syn = self.synonyms.words.get(word)
        info = analyse(word)
        if syn is not None and not info.known:
            return syn, True, False
        return info.lemma, info.known, info.imperative

    def word_term(self, word: str) -> str:
        return self.synonyms.canonical(self._word_term(word)[0])

    def analyse(self, text: str) -> Analysis:
        words = tokenize(text)
        raw: list[str] = []
        known_flags: dict[str, bool] = {}
        imperatives: list[str] = []
        for w in words:
            lem, known, imp = self._word_term(w)
            raw.append(lem)
            known_flags[lem] = known_flags.get(lem, False) or known
            if imp:
                imperatives.append(lem)
        lemmas = self.synonyms.apply(raw)
        content_list = [
            lem for lem in lemmas if lem not in STOPWORDS and lem not in NEGATIONS and lem
        ]
        expand = self.synonyms.expand
        if expand:
            for lem in list(content_list):
                for broader in expand.get(lem, ()):
                    if broader not in content_list:
                        content_list.append(broader)
        marks = self.synonyms.marks
        if marks:
            for i, w in enumerate(words):
                for key in ((w,), tuple(words[i : i + 2])):
                    mark = marks.get(key)
                    if mark is not None and mark not in content_list:
                        content_list.append(mark)
        content = tuple(content_list)
        unknown = tuple(
            dict.fromkeys(
                lem
                for lem in content
                if not known_flags.get(lem, True)
                and not lem.isdigit()
                and lem not in self.synonyms.words
            )
        )
        return Analysis(tuple(words), tuple(lemmas), content, unknown, tuple(imperatives))


_ENDINGS = ("ами", "ями", "ого", "ому", "ом", "ем", "ой", "ей", "ах", "ях", "ов", "ев")


def _closest(word: str, candidates: list[str], limit: int) -> str | None:
    """The candidate fewest edits away (ties: the one closest in length, then the first)."""
    hits = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if not hits:
        return None
    best = min(hits, key=lambda h: (h[1], abs(len(h[0]) - len(word)), h[2]))
    return str(best[0])


def _edit_limit(word: str) -> int:
    return 1 if len(word) <= 6 else 2 if len(word) <= 10 else 3


_FIRST_VOWEL_ALTS = {"а": "о", "о": "а", "е": "иэ", "и": "е", "э": "е"}


class TypoCorrector:
    """Maps a word missing from an index vocabulary to the closest known word.

    ``surface`` maps every known normalised word form (from the articles and the
    synonym list) to its term. A word of 4–5 letters may be one edit away, longer
    words two edits; the first letter must match (customers rarely get it wrong, and
    it keeps short words from drifting).
    """

    def __init__(self, surface: dict[str, str], terms: Iterable[str]) -> None:
        self._surface = dict(surface)
        self._terms = frozenset(terms)
        self._by_first: dict[str, list[str]] = {}
        for form in self._surface:
            if len(form) >= 3 and form.isalpha():
                self._by_first.setdefault(form[0], []).append(form)
        self._cache = lru_cache(maxsize=50_000)(self._correct)

    def _correct(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha():
            return None
        candidates = self._by_first.get(word[0], [])
        # an unstressed first vowel is the one first letter customers do get wrong:
        # «аператор», «исчо»
        for alt in _FIRST_VOWEL_ALTS.get(word[0], ""):
            candidates = candidates + self._by_first.get(alt, [])
        if not candidates:
            return None
        # edits allowed grow with the length; a swap of two letters is one edit
        best = _closest(word, candidates, _edit_limit(word))
        if best is None:
            # a typo in a word with its ending cut or changed («скдик», «выевст»): compare
            # with the beginnings of the known words (at most two letters longer)
            n = len(word)
            heads: dict[str, str] = {}
            for form in candidates:
                if n <= len(form) <= n + 2:
                    heads.setdefault(form[:n], form)
            head = _closest(word, list(heads), 1 if n <= 7 else 2)
            best = heads[head] if head is not None else None
        if best is None:
            # an inflected typo («аператором»): try again without the ending
            for ending in _ENDINGS:
                stem = word[: -len(ending)]
                if word.endswith(ending) and len(stem) >= 5:
                    best = _closest(stem, candidates, _edit_limit(stem))
                    if best is not None:
                        break
        if best is None:
            return None
        return self._surface[best]

    def correct(self, word: str) -> str | None:
        """The term for a misspelt word, or None when nothing is close enough."""
        return self._cache(word)

    def __contains__(self, term: str) -> bool:
        return term in self._terms
