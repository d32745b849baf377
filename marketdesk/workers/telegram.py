"""Telegram's long polling (``MARKETDESK_TELEGRAM_MODE=polling``), for an installation that
Telegram cannot reach: a ``getUpdates`` loop started by ``server.py``.

Each update is handled (stored through ``services.channels.receive``) before the offset
moves past it, and the offset is kept in a file of the data directory, so a restart asks
Telegram only for what was not handled; an update handled but not yet confirmed (a kill
between the two) comes again and the core's idempotency (the update id) keeps it once. A
failing update is tried again after a pause rather than skipped.

The worker knows no Telegram client: ``server.py`` gives it the adapter
(``channels/telegram.py``) as an :class:`UpdateSource` and the handler."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["OFFSET_FILE", "OffsetFile", "UpdateSource", "run_telegram_polling"]

log = logging.getLogger("marketdesk.channels.telegram")

OFFSET_FILE = "telegram-offset"
"""In the data directory: the next update id to ask for."""


class UpdateSource(Protocol):
    async def prepare_polling(self) -> None:
        """Before the first ``getUpdates`` (remove a webhook)."""
        ...

    async def get_updates(self, offset: int | None, wait: int) -> Sequence[tuple[int, Any]]:
        """The updates from ``offset`` on (waiting up to ``wait`` seconds for one), with
        their ids; asking with an offset confirms everything before it."""
        ...


class OffsetFile:
    """The polling offset, kept across restarts (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> int | None:
        try:
            return int(self.path.read_text(encoding="ascii").strip())
        except (FileNotFoundError, ValueError):
            return None

    def save(self, offset: int) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(str(offset), encoding="ascii")
        os.replace(temporary, self.path)


async def run_telegram_polling(
    source: UpdateSource,
    handle: Callable[[Any], Awaitable[None]],
    offsets: OffsetFile,
    *,
    wait: int = 25,
    pause: float = 5.0,
) -> None:
    """Until cancelled: ask for updates, handle each, then move the offset past it."""
    prepared = False
    offset = offsets.load()
    while True:
        try:
            if not prepared:
                await source.prepare_polling()
                prepared = True
            updates = await source.get_updates(offset, wait)
            for update_id, update in updates:
                await handle(update)
                offset = update_id + 1
                offsets.save(offset)
        except asyncio.CancelledError:
            raise
        except Exception:  # Telegram or the database out of reach: the same again later
            log.exception("telegram polling round failed; retrying in %.0f s", pause)
            await asyncio.sleep(pause)
