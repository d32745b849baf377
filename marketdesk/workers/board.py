"""The wallboard's live push: while a supervisor (or an admin) has the operator socket open
in this process, a fresh snapshot (``services.board``) goes to them every
``MARKETDESK_BOARD_PUSH_SECONDS``, and about a second after a queue changes (a live event on a
line's channel). Every server process does this for its own sockets only (the snapshot is
read from the shared database, so it is the same from any process)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from marketdesk.domain.lines import Line
from marketdesk.realtime.broker import Broker
from marketdesk.services import board
from marketdesk.services.chat.events import OPERATOR_CHANNELS, line_channel, operator_channel
from marketdesk.store.db import Database
from marketdesk.workers.waiting import wait_to_be_woken

__all__ = ["DEBOUNCE_SECONDS", "push_once", "run_board_push"]

log = logging.getLogger("marketdesk.board")

DEBOUNCE_SECONDS = 1.0
"""After a queue changes, wait this long for more changes before pushing (a burst of
changes makes one snapshot)."""


async def push_once(database: Database, broker: Broker, *, warning: timedelta) -> int:
    """One snapshot to the supervisors connected here. → how many channels got it."""
    # no operator's socket here: nobody to push to, and no read (the process's own
    # subscriptions — this push's, the chat writer's, the session watch's — are not sockets)
    if not broker.has_channel_starting(OPERATOR_CHANNELS):
        return 0
    async with database.sessions() as session:
        ids = await board.supervisor_ids(session)
        channels = [operator_channel(i) for i in ids if broker.has_subscribers(operator_channel(i))]
        if not channels:
            return 0
        snapshot = await board.snapshot(session, None, warning=warning)
    broker.deliver_here(channels, board.board_event(snapshot))
    return len(channels)


async def run_board_push(
    database: Database, broker: Broker, *, interval: float, warning: timedelta
) -> None:
    """Run until cancelled."""
    changed = asyncio.Event()

    def on_change(_channel: str, _event: dict[str, Any]) -> None:
        changed.set()

    subscription = broker.subscribe([line_channel(line.value) for line in Line], on_change)
    try:
        await subscription.ready()  # a change after the first round's read is heard
        while True:
            try:
                await push_once(database, broker, warning=warning)
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed round is tried again at the next tick
                log.exception("wallboard push failed")
            changed.clear()
            await wait_to_be_woken(changed, interval)
            if changed.is_set():
                await asyncio.sleep(DEBOUNCE_SECONDS)
    finally:
        subscription.close()
