"""Typed live events of the chat and the channels they travel on (published after commit
through a ``Publisher``: the realtime broker when the server runs one).

Channels:

* ``conversation:{id}`` — everything that happens in one conversation (its messages, private
  notes included: sockets of customers filter those out before sending);
* ``operator:{id}`` — the conversations assigned to one operator: their messages and changes;
* ``line:{line}`` — changes of a line's queue (a conversation entered or left it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.transactions import on_commit, transaction_state

from .views import MessageView, conversation_json, conversation_view

__all__ = [
    "OPERATOR_CHANNELS",
    "Changes",
    "ConversationChanged",
    "Event",
    "MessageStored",
    "Publisher",
    "Resync",
    "changes_for",
    "conversation_channel",
    "default_publisher",
    "line_channel",
    "message_event",
    "no_publisher",
    "operator_channel",
    "publish_all",
    "set_default_publisher",
    "staff_conversation_event",
]


def conversation_channel(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


OPERATOR_CHANNELS = "operator:"
"""The start of every operator's channel's name (:func:`operator_channel`)."""


def operator_channel(operator_id: int) -> str:
    return f"{OPERATOR_CHANNELS}{operator_id}"


def line_channel(line: str) -> str:
    return f"line:{line}"


class MessageStored(BaseModel):
    """A message was committed (``message`` is the staff view; ``private`` notes included).
    ``conversation``: the staff view of the conversation after the message when the message
    changed it for the staff only (a service-level clock started or stopped) and an operator
    holds it; only operator sockets pass it on (docs/decisions/0005-clocks-on-the-message.md)."""

    type: Literal["message"] = "message"
    conversation_id: int
    message: dict[str, Any]
    conversation: dict[str, Any] | None = None


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


async def publish_all(publish: Publisher, events: list[tuple[list[str], dict[str, Any]]]) -> None:
    """``events`` published at once, in their order: the broker's publishes start together,
    so that Redis gets them as one message (one round trip, and one message for every
    process to read) instead of one each after the other's reply. Each publish takes its
    event in its first step (the Redis broker's outbox, the in-process broker's delivery),
    and the tasks start in the order they are made."""
    if len(events) == 1:
        await publish(*events[0])
    elif events:
        await asyncio.gather(*(publish(channels, event) for channels, event in events))


# --------------------------------------------------------------------------- the collector


class Changes:
    """What one transaction did to conversations, published as live events once it commits.

    :func:`changes_for` gives each session one collector per publisher and registers its
    publication with :func:`marketdesk.store.transactions.on_commit`: whatever a write
    records here (a message, a conversation that moved) reaches the sockets after the
    commit, and only then. The group-commit writer, which commits on a bare connection,
    calls :meth:`publish` itself after its commit."""

    __slots__ = ("conversations", "messages", "publish_to")

    def __init__(self, publish_to: Publisher) -> None:
        self.publish_to = publish_to
        self.messages: list[tuple[MessageView, int | None, Any]] = []
        self.conversations: dict[int, tuple[Any, int | None, str]] = {}

    def message(self, message: MessageView, conversation: Any, clocks: Any = None) -> None:
        """A stored message (to the conversation and its assigned operator). ``clocks``:
        the conversation after the message, if the message started or stopped a
        service-level clock (a change the staff follow, never the customer): it rides on
        the message's event to the assigned operator, or goes to the line's queue as a
        ``conversation`` event of its own while nobody holds the conversation."""
        self.messages.append((message, conversation.assigned_operator_id, clocks))

    def changed(self, conversation: Any, previous_operator_id: int | None) -> None:
        """A conversation that changed; call before changing its line (the old queue hears
        of it) — its state when published is its state at the commit."""
        first = self.conversations.get(conversation.id)
        if first is None:
            first = (conversation, previous_operator_id, conversation.line)
        self.conversations[conversation.id] = first

    async def publish(self) -> None:
        await publish_all(self.publish_to, self.events())

    def events(self) -> list[tuple[list[str], dict[str, Any]]]:
        """The collected changes as events, each with its channels, in the order they are
        published (and the collector emptied)."""
        messages, self.messages = self.messages, []
        conversations, self.conversations = self.conversations, {}
        events: list[tuple[list[str], dict[str, Any]]] = []
        for message, operator_id, clocks in messages:
            channels = [conversation_channel(message.conversation_id)]
            if operator_id is None:
                events.append((channels, message_event(message)))
                if clocks is not None:
                    events.append(staff_conversation_event(clocks))
                continue
            channels.append(operator_channel(operator_id))
            events.append((channels, message_event(message, clocks)))
        for conversation, previous, previous_line in conversations.values():
            events.append(_conversation_event(conversation, previous, previous_line))
        return events


def _conversation_event(
    conversation: Any, previous: int | None, previous_line: str
) -> tuple[list[str], dict[str, Any]]:
    channels = [conversation_channel(conversation.id), line_channel(conversation.line)]
    if previous_line != conversation.line:
        channels.append(line_channel(previous_line))
    if conversation.assigned_operator_id is not None:
        channels.append(operator_channel(conversation.assigned_operator_id))
    if previous is not None and previous != conversation.assigned_operator_id:
        channels.append(operator_channel(previous))
    return channels, {
        "type": "conversation",
        "conversation_id": conversation.id,
        "conversation": conversation_view(conversation).model_dump(mode="json"),
        "previous_operator_id": previous,
    }


def message_event(message: MessageView, conversation: Any = None) -> dict[str, Any]:
    """The :class:`MessageStored` event of a stored message, as it is published
    (``conversation``: the conversation after it, for the staff; see :meth:`Changes.message`).

    Built as a plain dict, the view dumped once: the event models describe the protocol,
    and validating a dumped view into one only to dump it again cost about 3 % of the live
    chat's CPU per message (bench/README.md). A test holds the dict to the model."""
    return {
        "type": "message",
        "conversation_id": message.conversation_id,
        "message": message.model_dump(mode="json"),
        "conversation": None if conversation is None else conversation_json(conversation),
    }


def staff_conversation_event(conversation: Any) -> tuple[list[str], dict[str, Any]]:
    """A change only the staff follow (a service-level clock started or stopped) of a
    conversation nobody holds, to the line's queue (never to the customer's sockets); a
    held one's goes to its operator on the message's own event (:meth:`Changes.message`).
    (An assigned conversation is in nobody's queue: its clock's every start and stop went
    to every operator of the line, an event a message.)"""
    if conversation.assigned_operator_id is not None:
        channels = [operator_channel(conversation.assigned_operator_id)]
    else:
        channels = [line_channel(conversation.line)]
    return channels, {  # a ConversationChanged, built as a dict (see message_event)
        "type": "conversation",
        "conversation_id": conversation.id,
        "conversation": conversation_view(conversation).model_dump(mode="json"),
        "previous_operator_id": conversation.assigned_operator_id,
    }


_COLLECTORS = "marketdesk.chat.changes"


def changes_for(session: AsyncSession, publish: Publisher | None = None) -> Changes:
    """The collector of the session's current transaction for ``publish`` (None: the
    publisher the application gave the database, see :func:`set_default_publisher`),
    published after the commit."""
    publish = publish or session.sync_session.info.get(_DEFAULT_PUBLISHER) or no_publisher
    collectors: dict[int, Changes] = transaction_state(session).setdefault(_COLLECTORS, {})
    changes = collectors.get(id(publish))
    if changes is None:
        changes = collectors[id(publish)] = Changes(publish)
        on_commit(session, changes.publish)
    return changes


_DEFAULT_PUBLISHER = "marketdesk.chat.publisher"


def default_publisher(session: AsyncSession) -> Publisher | None:
    """The publisher the application gave the session's database (None: there is none, as
    in a command without a broker); see :func:`set_default_publisher`."""
    publish: Publisher | None = session.sync_session.info.get(_DEFAULT_PUBLISHER)
    return publish


def set_default_publisher(sessions: Any, publish: Publisher) -> None:
    """Where the live events of writes without a chat context go (a task's note in a
    conversation, a visitor's conversations moving to the customer who logged in):
    ``sessions`` is the database's session factory."""
    info = dict(sessions.kw.get("info") or {})
    info[_DEFAULT_PUBLISHER] = publish
    sessions.configure(info=info)
