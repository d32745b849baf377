"""Reloading the knowledge base in running servers on ``marketdesk kb reload``.

The command touches a stamp file in the data directory (``marketdesk.kb.reload``); every
server process polls it and rebuilds its bot's index when the stamp changes (the swap is
atomic, answers never stop)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from marketdesk.bot import Bot
from marketdesk.kb.reload import request_reload, stamp_path

__all__ = ["request_reload", "stamp_path", "watch_kb"]

log = logging.getLogger("marketdesk.kb")


def _stamp(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


async def watch_kb(bot: Bot, data_dir: Path, *, interval: float = 2.0) -> None:
    path = stamp_path(data_dir)
    seen = _stamp(path)
    while True:
        await asyncio.sleep(interval)
        current = _stamp(path)
        if current == seen:
            continue
        seen = current
        errors = await asyncio.to_thread(bot.reload)
        log.warning(
            "knowledge base reloaded: %d articles, %d errors", len(bot.articles), len(errors)
        )
        for error in errors:
            log.warning("%s", error)
