"""Stopping the background loops at shutdown, within a grace period.

A loop that does not stop when cancelled (one that swallowed its cancellation) must not hold
the server's shutdown for ever: it is named in the log and left behind."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

__all__ = ["SHUTDOWN_GRACE_SECONDS", "stop_tasks"]

log = logging.getLogger("marketdesk.workers")

SHUTDOWN_GRACE_SECONDS = 10.0
"""How long the shutdown waits for the cancelled loops (a round in progress ends first)."""


async def stop_tasks(
    tasks: Sequence[asyncio.Task[None]], *, grace: float = SHUTDOWN_GRACE_SECONDS
) -> list[asyncio.Task[None]]:
    """Cancel ``tasks`` and wait up to ``grace`` seconds for them → those still running."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return []
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("background loop %s failed", task.get_name(), exc_info=task.exception())
    for task in pending:
        log.error("background loop %s did not stop within %.0f s", task.get_name(), grace)
        task.cancel()  # once more: a loop that swallowed the first may take the second
    return sorted(pending, key=lambda task: task.get_name())
