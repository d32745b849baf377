"""Text normalisation for Russian customer messages.

``normalize`` turns any string (HTML, emoji, control characters, mixed scripts,
shouting, stretched letters) into lower-case words separated by single spaces.
It never raises and is linear in the input length.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "MAX_INPUT_CHARS",
    "fix_lookalikes",
    "normalize",
    "squeeze_repeats",
    "strip_html",
]

#: Longer inputs are cut: a support question never needs more, and it bounds the work.
MAX_INPUT_CHARS = 4000

_TAG_RE = re.compile(r"<[^<>]{0,2000}>")
_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}")
_WORD_RE = re.compile(r"[^\W_]+")
_CYR_RE = re.compile(r"[а-яё]")
_LAT_RE = re.compile(r"[a-z]")
# phrases whose punctuation carries meaning, rewritten before punctuation goes
_SPECIAL = [
    (re.compile(r"\bб\s*/\s*у\b"), " бу "),
    (re.compile(r"\be\s*-\s*mail\b"), " email "),
    (re.compile(r"\bэл\.\s*почт"), " электронная почт"),
    (re.compile(r"(?<!\d)18\s*\+"), " 18плюс "),
    (re.compile(r"\b24\s*/\s*7\b"), " круглосуточно "),
    (re.compile(r"(\d)\s*%"), r"\1 процент "),
]

# Latin letters that look like Cyrillic ones (after lower-casing) and back.
_LAT_TO_CYR = str.maketrans("aceopxykmtbhu", "асеорхукмтвни")
_CYR_TO_LAT = str.maketrans("асеорхукмтвн", "aceopxykmtbh")


def strip_html(text: str) -> str:
    """Remove script/style blocks and tags, unescape entities."""
    if "<" in text:
        text = _SCRIPT_RE.sub(" ", text)
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def squeeze_repeats(text: str) -> str:
    """«дооообрый» → «добрый»: a letter repeated three times or more becomes one."""
    return _REPEAT_RE.sub(r"\1", text)


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    cyr = len(_CYR_RE.findall(word))
    lat = len(_LAT_RE.findall(word))
    if not cyr or not lat:
        return word
    if cyr >= lat:
        return word.translate(_LAT_TO_CYR)
    return word.translate(_CYR_TO_LAT)


def fix_lookalikes(text: str) -> str:
    """In a word that mixes scripts, rewrite the minority script's look-alike letters.

    «kупон» → «купон», «оzon» (Cyrillic о) → «ozon». Expects lower-case input.
    """
    return _WORD_RE.sub(_fix_word, text)


def _clean_chars(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch.isalnum():
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat == "Cf":  # zero-width and direction marks: glue the word back together
            continue
        # punctuation, symbols (emoji), separators, control and format characters
        if cat[0] in "PSZC" or ch.isspace():
            out.append(" ")
        else:  # combining marks and the like: drop
            continue
    return "".join(out)


def normalize(text: object) -> str:
    """Lower-case words of ``text`` separated by single spaces; ``""`` for no words."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_INPUT_CHARS:
        text = text[:MAX_INPUT_CHARS]
    text = strip_html(text)
    text = unicodedata.normalize("NFKC", text)
    # ё/й are composed by NFKC; combining accents (ударе́ние) are dropped below
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn" or ch in "\u0306\u0308")
    text = unicodedata.normalize("NFC", text)
    text = text.lower().replace("ё", "е")
    for pattern, repl in _SPECIAL:
        text = pattern.sub(repl, text)
    text = _clean_chars(text)
    text = fix_lookalikes(text)
    text = squeeze_repeats(text)
    return " ".join(text.split())
