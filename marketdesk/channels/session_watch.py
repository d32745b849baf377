"""Open sockets outlive nothing they should not: one task per process checks, at a steady
pace, the sessions behind every open WebSocket (one query for all of them) and ends the
sockets of a session that was logged out, has expired, or whose operator was deactivated.

A logout (or a visitor's token revoked at phone login) is also announced through the broker
(``services.auth.announce_sessions_ended``), in every process: those sockets end at once,
and the process's principal caches forget those sessions. After the broker's ``resync``
(Redis came back: announcements may have been missed) the caches forget every principal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from marketdesk.realtime.broker import Broker, Subscription
from marketdesk.services.auth import SESSIONS_CHANNEL, forget_principals, valid_session_ids
from marketdesk.store.db import Database

__all__ = ["SessionWatch"]

log = logging.getLogger("marketdesk.session_watch")

_CHUNK = 500  # ids per query


class SessionWatch:
    """``watch(session_id, on_end)`` while a socket is open; ``on_end()`` is called once
    when that session stops being valid."""

    def __init__(
        self, database: Database, *, interval: float, broker: Broker | None = None
    ) -> None:
        self.database = database
        self.interval = interval
        self.broker = broker
        self._watchers: defaultdict[int, set[Callable[[], None]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """Listen for sessions ended elsewhere (logout): their sockets end at once."""
        if self.broker is not None and self._subscription is None:
            self._subscription = self.broker.subscribe([SESSIONS_CHANNEL], self._on_event)
            await self._subscription.ready()

    def _on_event(self, _channel: str, event: dict[str, Any]) -> None:
        if event.get("type") == "resync":  # announcements may have been missed meanwhile
            forget_principals()
            return
        if event.get("type") != "sessions_ended":
            return
        ids = event.get("session_ids")
        if isinstance(ids, list):
            ended = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
            forget_principals(ended)  # ended in another process: its token is no longer known
            self.end(ended)

    def end(self, session_ids: Iterable[int]) -> None:
        """End the sockets of these sessions now."""
        for session_id in session_ids:
            for on_end in list(self._watchers.pop(session_id, ())):
                on_end()

    def watch(self, session_id: int, on_end: Callable[[], None]) -> Callable[[], None]:
        """Start watching; returns the function that stops it."""
        self._watchers[session_id].add(on_end)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="session-watch")

        def stop() -> None:
            watchers = self._watchers.get(session_id)
            if watchers is not None:
                watchers.discard(on_end)
                if not watchers:
                    del self._watchers[session_id]

        return stop

    async def aclose(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> None:
        """One pass: end the sockets of every session that is no longer valid."""
        ids = list(self._watchers)
        ended: set[int] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            ended.update(set(chunk) - await self._valid(chunk))
        self.end(ended)

    async def _valid(self, ids: Iterable[int]) -> set[int]:
        async with self.database.sessions() as session:
            return await valid_session_ids(session, ids)

    async def _run(self) -> None:
        while self._watchers:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # the database may be away for a moment: try again later
                log.exception("checking the sessions of open sockets failed")
