"""Small facts read from the database and kept per process for a moment: the active webhook
subscriptions, the back-office workers to tell of a task. Kept per database (a process, a
test run, may open several) and for ``seconds``: the process that changes such a fact
forgets it after its commit; the other processes see the change once the time runs out."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine

__all__ = ["KeptPerDatabase"]

T = TypeVar("T")


def _database_key(bind: Engine | Connection) -> str:
    engine = bind.engine if isinstance(bind, Connection) else bind
    return engine.url.render_as_string(hide_password=True)


class KeptPerDatabase(Generic[T]):
    """One value per database, kept ``seconds`` (0: nothing is kept)."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        self._values: dict[str, tuple[float, T]] = {}

    def get(self, bind: Engine | Connection) -> T | None:
        kept = self._values.get(_database_key(bind))
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    def put(self, bind: Engine | Connection, value: T) -> T:
        if self.seconds > 0:
            self._values[_database_key(bind)] = (time.monotonic() + self.seconds, value)
        return value

    def forget(self) -> None:
        self._values.clear()

    def keep_for(self, seconds: float) -> None:
        """Keep for ``seconds`` from now on (what is kept is forgotten)."""
        self.seconds = seconds
        self._values.clear()
