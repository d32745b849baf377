"""How the JSON columns' values are written and read: with orjson, about a tenth of the
standard library's time (a conversation's first message binds some ten JSON values, each
inside SQLite's write lock).

The text differs from ``json.dumps``'s only in form (no spaces after separators, letters as
UTF-8, not ``\\uXXXX``); both databases read either, and PostgreSQL's ``jsonb`` keeps neither.
What orjson refuses and the standard library takes (a lone surrogate in a customer's text,
an integer beyond 64 bits) is written and read by the standard library, as before."""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """``value`` as JSON text."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
