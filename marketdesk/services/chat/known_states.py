"""What a process's chat writer last saw of the conversations it wrote to: each one's status
and line, so that on PostgreSQL the writer knows, without asking the database, which sends
the bot answers (one by one, the bot's reading worked out before the transaction) and which
are plain (the batch). A hint, never a rule: a state gone stale (another process moved the
conversation) costs a send the wrong route's work once — the batch still finds a moving
conversation under its lock, and ``store_one`` stores a plain send all the same — and the
outcome puts the state right.

Of the conversations the bot has, it keeps besides, for fewer of them, the whole row as
this process last read or wrote it, with the row's version (PostgreSQL's ``xmin``): the
bot's next turn in it (``follow_up.answer_unlocked``) works on that row and writes only
if the row is still that version, so a row another process or an operator wrote since
costs a read and nothing else. A row is used once (taken) and kept again after the write
that used it, and for a while only (:data:`DEFAULT_KNOWN_ROW_SECONDS`)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DEFAULT_KNOWN_ROWS", "DEFAULT_KNOWN_ROW_SECONDS", "DEFAULT_KNOWN_STATES", "KnownStates"]

DEFAULT_KNOWN_STATES = 50_000
"""How many conversations a writer keeps in mind: a day's busiest hour's conversations of a
large marketplace for each process, in a few megabytes."""

DEFAULT_KNOWN_ROWS = 5_000
"""How many of them with their whole row (the bot's dialogue state in it: about a kilobyte
each): the conversations the bot talks in at once on a busy process, in a few megabytes."""

DEFAULT_KNOWN_ROW_SECONDS = 600.0
"""How long a kept row may be used: a visitor's next message comes within minutes, and a
row kept no longer than this never meets its version again (PostgreSQL's transaction ids
come round only after two billion transactions). An older one is not used (it stays within
the memory's bound until newer ones push it out)."""


class KnownStates:
    """Conversation id → (status, line), the most recently used kept, at most ``size``."""

    def __init__(
        self,
        size: int = DEFAULT_KNOWN_STATES,
        rows: int = DEFAULT_KNOWN_ROWS,
        *,
        row_seconds: float = DEFAULT_KNOWN_ROW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.rows_size = rows
        self.row_seconds = row_seconds
        self._clock = clock
        self._states: OrderedDict[int, tuple[str, str]] = OrderedDict()
        # conversation → (the row's version, the row, when it was kept)
        self._rows: OrderedDict[int, tuple[str, dict[str, Any], float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._states

    def get(self, conversation_id: int) -> tuple[str, str] | None:
        state = self._states.get(conversation_id)
        if state is not None:
            self._states.move_to_end(conversation_id)
        return state

    def note(self, conversation_id: int, status: str, line: str) -> None:
        """The conversation's state as a write's outcome or a read says it (a row kept of
        it stays only if it says the same)."""
        self._states[conversation_id] = (status, line)
        self._states.move_to_end(conversation_id)
        while len(self._states) > self.size:
            self._states.popitem(last=False)
        kept = self._rows.get(conversation_id)
        if kept is not None and (kept[1]["status"], kept[1]["line"]) != (status, line):
            del self._rows[conversation_id]

    def changed(self, conversation_id: int, status: str, line: str) -> None:
        """A live event says the conversation changed: its state noted, its row forgotten."""
        self._rows.pop(conversation_id, None)
        self.note(conversation_id, status, line)

    def note_row(self, conversation_id: int, version: str, row: Mapping[str, Any]) -> None:
        """The conversation's whole row (its ``status`` and ``line`` noted too) as of the
        row's ``version``."""
        self.note(conversation_id, row["status"], row["line"])
        self._rows[conversation_id] = (version, dict(row), self._clock())
        self._rows.move_to_end(conversation_id)
        while len(self._rows) > self.rows_size:
            self._rows.popitem(last=False)

    def take_row(self, conversation_id: int) -> tuple[str, dict[str, Any]] | None:
        """(version, row) kept of the conversation, no longer kept (None: none, or kept
        longer than ``row_seconds`` ago)."""
        kept = self._rows.pop(conversation_id, None)
        if kept is None or self._clock() - kept[2] > self.row_seconds:
            return None
        return kept[0], kept[1]

    def forget(self, conversation_id: int) -> None:
        self._states.pop(conversation_id, None)
        self._rows.pop(conversation_id, None)

    def clear(self) -> None:
        self._states.clear()
        self._rows.clear()
