"""``docs/errors.md``: the catalogue as a page, written from the classes
(``python3 -m marketdesk.services.errors > docs/errors.md``; a test checks the file is current)."""

from __future__ import annotations

import string

from .base import CatalogueEntry, catalogue
from .transport import SOCKET_CLOSE_CODES

__all__ = ["render_markdown", "shown_message"]

_HEAD = """\
# Error catalogue

Every refusal a client can meet, generated from `marketdesk/services/errors/` by
`python3 -m marketdesk.services.errors > docs/errors.md` (a test fails when this page and the
classes disagree). An HTTP refusal is `{"error": {"code", "message", ...details}}` with the
status below; a WebSocket refusal is a frame `{"type": "error", "code", "message"}` with the
same codes. One code has one status. `{name}` in a message is filled from the raise site; a
message in *italics* is an example: the text comes from a rule in `domain/`.

To add a refusal, add a class to the catalogue (the module of its area) and raise it; a
subclass that keeps its parent's code is another wording of the same refusal (a *variant*).

| code | HTTP | class | message |
| --- | --- | --- | --- |
"""

_CLOSE_HEAD = """
## WebSocket close codes

| close code | name | when |
| --- | --- | --- |
"""


def shown_message(template: str) -> str:
    """The template with ``{field}`` left in place (format specs and escapes resolved)."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if field is not None:
            parts.append("{" + field + "}")
    return "".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(entry: CatalogueEntry) -> str:
    message = shown_message(entry.message)
    if entry.example:
        message = f"*{message}*"
    name = f"↳ `{entry.name}`" if entry.variant else f"`{entry.name}`"
    return f"| `{entry.code}` | {entry.status} | {name} | {_cell(message)} |\n"


def render_markdown() -> str:
    """The whole page, grouped by code (each code's first class, then its variants)."""
    entries = sorted(catalogue(), key=lambda e: (e.code, e.variant))
    rows = "".join(_row(entry) for entry in entries)
    closes = "".join(f"| {c.code} | {c.name} | {_cell(c.meaning)} |\n" for c in SOCKET_CLOSE_CODES)
    return _HEAD + rows + _CLOSE_HEAD + closes
