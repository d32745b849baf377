"""A long text in the pieces a messenger takes (Telegram and VK: 4096 characters a message)."""

from __future__ import annotations

__all__ = ["split_text"]


def split_text(text: str, limit: int = 4096) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a line end or a space where
    there is one."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip():
        pieces.append(rest)
    return pieces
