"""Small facts read from the database and kept per process for a moment: the active webhook
subscriptions, the back-office workers to tell of a task. Kept per database (a process, a
test run, may open several) and for ``seconds``: the process that changes such a fact
forgets it after its commit; the other processes see the change once the time runs out.

A read that was under way when the fact was forgotten is not kept: it may have read the
fact from before the change (it began before the commit), and keeping it would hide the
change for ``seconds``. Each :meth:`KeptPerDatabase.forget` starts a new generation, and a
value read in an older one is returned to its reader but not kept.

In the last :data:`REFRESH_SHARE` of a value's keep, the first reader through
:meth:`KeptPerDatabase.get_or_read` (or its synchronous form) reads it again while every
other reader keeps the value until the keep ends: one read a keep, not a read by every
request that comes in the round trip after it ended; and a value that is read on a
process's busy paths is never found gone there (the paths that only look,
:meth:`KeptPerDatabase.get`, took a slower way for want of it). Nothing is kept longer than
``seconds``."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine

__all__ = ["REFRESH_SHARE", "KeptPerDatabase"]

T = TypeVar("T")

REFRESH_SHARE = 0.2
"""The last share of a value's keep in which one reader reads it again."""


def _database_key(bind: Engine | Connection) -> str:
    engine = bind.engine if isinstance(bind, Connection) else bind
    return engine.url.render_as_string(hide_password=True)


class KeptPerDatabase(Generic[T]):
    """One value per database, kept ``seconds`` (0: nothing is kept)."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        # database → (kept until, read again from, the value)
        self._values: dict[str, tuple[float, float, T]] = {}
        self._generation = 0

    def get(self, bind: Engine | Connection) -> T | None:
        """The value while it is kept (None: not kept); never reads."""
        kept = self._values.get(_database_key(bind))
        return kept[2] if kept is not None and kept[0] > time.monotonic() else None

    def put(self, bind: Engine | Connection, value: T, *, generation: int | None = None) -> T:
        """Keep ``value``, unless it was read in an older ``generation`` than now's."""
        if self.seconds > 0 and (generation is None or generation == self._generation):
            clock = time.monotonic()
            refresh_at = clock + self.seconds * (1 - REFRESH_SHARE)
            self._values[_database_key(bind)] = (clock + self.seconds, refresh_at, value)
        return value

    def _kept_for_reader(self, bind: Engine | Connection) -> T | None:
        """The value for a reader that reads it when this gives None: in the keep's last
        share the first such reader gets None (it reads again), the others the value."""
        key = _database_key(bind)
        kept = self._values.get(key)
        if kept is None:
            return None
        until, refresh_at, value = kept
        clock = time.monotonic()
        if until <= clock:
            return None
        if refresh_at <= clock:  # this reader reads it again; the others keep it meanwhile
            self._values[key] = (until, math.inf, value)
            return None
        return value

    async def get_or_read(self, bind: Engine | Connection, read: Callable[[], Awaitable[T]]) -> T:
        """The kept value, or ``await read()`` kept (if nothing was forgotten meanwhile)."""
        found = self._kept_for_reader(bind)
        if found is None:
            generation = self._generation
            found = self.put(bind, await read(), generation=generation)
        return found

    def get_or_read_sync(self, bind: Engine | Connection, read: Callable[[], T]) -> T:
        """:meth:`get_or_read` for synchronous code."""
        found = self._kept_for_reader(bind)
        if found is None:
            generation = self._generation
            found = self.put(bind, read(), generation=generation)
        return found

    def forget(self) -> None:
        self._generation += 1
        self._values.clear()

    def keep_for(self, seconds: float) -> None:
        """Keep for ``seconds`` from now on (what is kept is forgotten)."""
        self.seconds = seconds
        self.forget()
