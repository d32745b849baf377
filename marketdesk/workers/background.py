"""Starting the background loops: each a named task whose SQLite calls run in the
connections' own threads (``store.sqlite_driver.offloaded``).

A request's SQLite calls run in the event loop's thread (decision 0006): they are short and
someone waits for them. A background loop's are not awaited by anyone and can be long (the
board's counts over today, the SLA scans, the cleanup's deletes): run in the loop's thread
they would hold up every socket and request of the process while they ran. The tasks a loop
starts (the leader's loops) inherit the setting with the context."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any

from marketdesk.store.sqlite_driver import offloaded

__all__ = ["start_loops"]


def start_loops(loops: Mapping[str, Coroutine[Any, Any, None]]) -> list[asyncio.Task[None]]:
    """``loops`` as tasks named by their keys, their SQLite calls offloaded."""
    with offloaded():  # each task copies the context as it is created
        return [asyncio.create_task(loop, name=name) for name, loop in loops.items()]
