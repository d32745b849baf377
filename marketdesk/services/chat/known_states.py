"""What a process's chat writer last saw of the conversations it wrote to: each one's status
and line, so that on PostgreSQL the writer knows, without asking the database, which sends
the bot answers (one by one, the bot's reading worked out before the transaction) and which
are plain (the batch). A hint, never a rule: a state gone stale (another process moved the
conversation) costs a send the wrong route's work once — the batch still finds a moving
conversation under its lock, and ``store_one`` stores a plain send all the same — and the
outcome puts the state right."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["DEFAULT_KNOWN_STATES", "KnownStates"]

DEFAULT_KNOWN_STATES = 50_000
"""How many conversations a writer keeps in mind: a day's busiest hour's conversations of a
large marketplace for each process, in a few megabytes."""


class KnownStates:
    """Conversation id → (status, line), the most recently used kept, at most ``size``."""

    def __init__(self, size: int = DEFAULT_KNOWN_STATES) -> None:
        self.size = size
        self._states: OrderedDict[int, tuple[str, str]] = OrderedDict()

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
        self._states[conversation_id] = (status, line)
        self._states.move_to_end(conversation_id)
        while len(self._states) > self.size:
            self._states.popitem(last=False)

    def forget(self, conversation_id: int) -> None:
        self._states.pop(conversation_id, None)

    def clear(self) -> None:
        self._states.clear()
