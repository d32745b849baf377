"""Domain synonyms (data in ``synonyms.yaml`` beside this module)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from marketdesk.text.normalize import normalize

__all__ = ["SYNONYMS_FILE", "Synonyms", "default_synonyms"]

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")


@dataclass(frozen=True)
class Synonyms:
    """Lemma → canonical lemma, and lemma sequences → one canonical lemma."""

    words: Mapping[str, str] = field(default_factory=dict)
    phrases: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    max_phrase: int = 1
    forms: Mapping[str, str] = field(default_factory=dict)  # word form → lemma
    expand: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lemma → broader
    # word forms (one or two normalised words) that add a term of their own: the case
    # carries the meaning («оплатить сертификатом» is spending one, «оплатить
    # сертификат» buying one)
    marks: Mapping[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def from_groups(
        cls,
        groups: Iterable[Iterable[str]],
        phrases: Iterable[Iterable[str]] = (),
        forms: Mapping[str, str] | None = None,
        expand: Mapping[str, Iterable[str]] | None = None,
        marks: Mapping[str, str] | None = None,
    ) -> Synonyms:
        words: dict[str, str] = {}
        multi: dict[tuple[str, ...], str] = {}
        for group in groups:
            items = [normalize(str(x)) for x in group]
            items = [x for x in items if x]
            if not items:
                continue
            canon = items[0].replace(" ", "")
            for item in items:
                parts = tuple(item.split())
                if len(parts) == 1:
                    words.setdefault(parts[0], canon)
                else:
                    multi.setdefault(parts, canon)
        for pair in phrases:
            seq = [normalize(str(x)) for x in pair]
            if len(seq) != 2 or not seq[0] or not seq[1]:
                continue
            parts = tuple(seq[0].split())
            target = seq[1].replace(" ", "")
            target = words.get(target, target)
            if len(parts) == 1:
                words.setdefault(parts[0], target)
            else:
                multi.setdefault(parts, target)
        longest = max((len(p) for p in multi), default=1)
        form_map = {normalize(str(k)): normalize(str(v)) for k, v in (forms or {}).items()}
        broader: dict[str, list[str]] = {}
        for target, narrow in (expand or {}).items():
            canon_target = words.get(normalize(str(target)), normalize(str(target)))
            for item in narrow or []:
                key = normalize(str(item))
                key = words.get(key, key)
                if key and canon_target and canon_target not in broader.setdefault(key, []):
                    broader[key].append(canon_target)
        return cls(
            words=words,
            phrases=multi,
            max_phrase=longest,
            forms={k: v for k, v in form_map.items() if k and v},
            expand={k: tuple(v) for k, v in broader.items()},
            marks={
                tuple(normalize(str(k)).split()): normalize(str(v)).replace(" ", "")
                for k, v in (marks or {}).items()
                if normalize(str(k)) and normalize(str(v)) and len(str(k).split()) <= 2
            },
        )

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> Synonyms:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_groups(
            data.get("groups") or [],
            data.get("phrases") or [],
            data.get("forms") or {},
            data.get("expand") or {},
            data.get("marks") or {},
        )

    def canonical(self, lemma: str) -> str:
        return self.words.get(lemma, lemma)

    def variants(self) -> set[str]:
        """Every single-word form the synonyms know (for typo correction)."""
        return set(self.words)

    def apply(self, lemmas: list[str]) -> list[str]:
        """Replace phrases (longest first) and words by their canonical lemma."""
        out: list[str] = []
        i = 0
        n = len(lemmas)
        while i < n:
            matched = False
            for size in range(min(self.max_phrase, n - i), 1, -1):
                target = self.phrases.get(tuple(lemmas[i : i + size]))
                if target is not None:
                    out.append(target)
                    i += size
                    matched = True
                    break
            if not matched:
                out.append(self.canonical(lemmas[i]))
                i += 1
        return out


@lru_cache(maxsize=1)
def default_synonyms() -> Synonyms:
    return Synonyms.load()
