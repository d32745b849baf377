"""Typed live events of the chat and the channels they travel on (published after commit
through a ``Publisher``: the realtime broker when the server runs one).

Channels:

* ``conversation:{id}`` — everything that happens in one conversation (its messages, private
  notes included: sockets of customers filter those out before sending);
* ``operator:{id}`` — the conversations assigned to one operator: their messages and changes;
* ``line:{line}`` — changes of a line's queue (a conversation entered or left it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel

__all__ = [
    "ConversationChanged",
    "Event",
    "MessageStored",
    "Publisher",
    "Resync",
    "conversation_channel",
    "line_channel",
    "no_publisher",
    "operator_channel",
]


def conversation_channel(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def operator_channel(operator_id: int) -> str:
    return f"operator:{operator_id}"


def line_channel(line: str) -> str:
    return f"line:{line}"


class MessageStored(BaseModel):
    """A message was committed (``message`` is the staff view; ``private`` notes included)."""

    type: Literal["message"] = "message"
    conversation_id: int
    message: dict[str, Any]


class ConversationChanged(BaseModel):
    """A conversation's status, line, operator or rating changed."""

    type: Literal["conversation"] = "conversation"
    conversation_id: int
    conversation: dict[str, Any]
    previous_operator_id: int | None = None


class Resync(BaseModel):
    """Live events may have been missed (the broker reconnected): re-read from the database."""

    type: Literal["resync"] = "resync"


Event = MessageStored | ConversationChanged | Resync


Publisher = Callable[[Iterable[str], dict[str, Any]], Awaitable[None]]
"""``await publish(channels, event)``: the broker's ``publish``."""


async def no_publisher(_channels: Iterable[str], _event: dict[str, Any]) -> None:
    return None
