"""Writing a conversation's transcript inside a transaction: the row lock that numbers a
message, the insert, system notes.

``seq`` comes from ``UPDATE conversations SET last_seq = last_seq + 1 … RETURNING`` in the
same transaction as the insert, so each conversation's messages are numbered 1, 2, 3 … with
no gaps and no duplicates, on SQLite and PostgreSQL alike; the unique constraint on
(conversation_id, client_msg_id) makes a send idempotent across restarts.

A conversation that the transaction made, or whose row it holds locked since
:func:`lock_for_message`, is numbered in memory instead (:func:`numbered_in_memory`): nobody
else sees or writes its row before the commit, so its object's ``last_seq`` is exact, and
the new value is written with the conversation's other changes, in one ``UPDATE`` (the first
question of a new conversation: two statements fewer; the bot's answer to a message: one)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnClause

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import Conversation, Message, utcnow
from marketdesk.store.rows import as_loaded
from marketdesk.store.transactions import transaction_state

from .. import webhooks
from ..webhooks.payloads import conversation_data, message_data
from . import outbound
from .events import Changes, changes_for
from .views import MessageView

__all__ = [
    "CONVERSATIONS",
    "MESSAGES",
    "ROW_VERSION",
    "add_system_message",
    "append",
    "find_stored",
    "held_conversation",
    "insert_messages",
    "insert_row",
    "lock_for_message",
    "numbered_in_memory",
    "open_with_system_message",
    "stored_view",
    "system_note",
]

CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]

ROW_VERSION: ColumnClause[str] = literal_column("conversations.xmin::text")
"""A conversation's row version on PostgreSQL (``xmin``: the transaction that wrote the row;
any write of the row changes it), as text."""


# The hot path's statements, built once: building a statement and its cache key cost more
# CPU than SQLite took to run it (decision 0006).
_CONVERSATION_ID = bindparam("conversation_id", type_=CONVERSATIONS.c.id.type)
_LOCK_FOR_MESSAGE = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == _CONVERSATION_ID)
    .values(
        last_seq=CONVERSATIONS.c.last_seq + 1,
        updated_at=bindparam("now", type_=CONVERSATIONS.c.updated_at.type),
    )
    .returning(*CONVERSATIONS.c)
)
_NEXT_SEQ = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == _CONVERSATION_ID)
    .values(last_seq=CONVERSATIONS.c.last_seq + 1)
    .returning(CONVERSATIONS.c.last_seq)
)
_INSERT_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
_STORED = select(Message).where(
    Message.conversation_id == _CONVERSATION_ID,
    Message.client_msg_id == bindparam("client_msg_id", type_=MESSAGES.c.client_msg_id.type),
)


_IN_MEMORY = "marketdesk.chat.numbered_in_memory"


def numbered_in_memory(session: AsyncSession, conversation: Conversation) -> None:
    """Until the commit, ``conversation`` is numbered in memory (see the module's text): the
    session's current transaction inserted it, or holds its row's lock and has it in the
    session with the row as locked."""
    transaction_state(session).setdefault(_IN_MEMORY, set()).add(conversation.id)


def _in_memory(session: AsyncSession) -> set[int]:
    found: set[int] = transaction_state(session).get(_IN_MEMORY, set())
    return found


def _numbered_here(session: AsyncSession, conversation_id: int) -> bool:
    return conversation_id in _in_memory(session)


async def lock_for_message(session: AsyncSession, conversation_id: int) -> Any:
    """Core ``UPDATE … last_seq + 1 … RETURNING *``: the row lock, the next sequence number
    and the state under the lock, in one round trip and without the ORM's overhead."""
    if _numbered_here(session, conversation_id):
        # the number kept in memory goes to the row first; the statement numbers from there
        await session.flush()
        _in_memory(session).discard(conversation_id)
    result = await session.execute(
        _LOCK_FOR_MESSAGE, {"conversation_id": conversation_id, "now": utcnow()}
    )
    return result.one_or_none()


def held_conversation(session: AsyncSession, row: Mapping[str, Any]) -> Conversation:
    """The conversation's ORM object in ``session`` with ``row``'s values (every column, as
    this transaction holds it under its lock): no second read of the row."""
    sync = session.sync_session
    present = sync.identity_map.get(sync.identity_key(Conversation, (row["id"],)))
    if isinstance(present, Conversation):  # made or read earlier in this transaction
        for name, value in row.items():
            set_committed_value(present, name, value)
        return present
    conversation = as_loaded(Conversation, row)
    make_transient_to_detached(conversation)  # as if loaded: no history, nothing to flush
    session.add(conversation)
    return conversation


async def insert_row(
    session: AsyncSession,
    conversation_id: int,
    *,
    seq: int,
    sender_kind: str,
    sender_id: str | None,
    client_msg_id: str | None,
    text: str,
    private: bool,
    extra: dict[str, Any],
) -> MessageView:
    """The message numbered ``seq`` (taken by :func:`lock_for_message`)."""
    created_at = utcnow()
    message_id = await session.scalar(
        _INSERT_MESSAGE,
        {
            "conversation_id": conversation_id,
            "seq": seq,
            "sender_kind": sender_kind,
            "sender_id": sender_id,
            "client_msg_id": client_msg_id,
            "text": text,
            "private": private,
            "extra": extra,
            "created_at": created_at,
        },
    )
    assert message_id is not None
    return stored_view(
        int(message_id),
        conversation_id=conversation_id,
        seq=seq,
        sender_kind=sender_kind,
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        extra=extra,
        created_at=created_at,
    )


# several messages in one statement, each id matched to its row by (conversation, number):
# SQLite does not promise the order of ``RETURNING``'s rows, and SQLAlchemy's promise of it
# (``sort_by_parameter_order``) costs a statement a row there
_INSERT_MESSAGES = insert(MESSAGES).returning(
    MESSAGES.c.id, MESSAGES.c.conversation_id, MESSAGES.c.seq
)


def insert_messages(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (``messages``' columns, each with its ``conversation_id`` and
    ``seq``) with one statement on a synchronous connection. → their ids, in order."""
    ids = {
        (int(cid), int(seq)): int(i) for i, cid, seq in connection.execute(_INSERT_MESSAGES, rows)
    }
    return [ids[(row["conversation_id"], row["seq"])] for row in rows]


def stored_view(
    message_id: int,
    *,
    conversation_id: int,
    seq: int,
    sender_kind: str,
    client_msg_id: str | None,
    text: str,
    private: bool,
    extra: dict[str, Any],
    created_at: Any,
    **_columns: Any,
) -> MessageView:
    """The view of a message just inserted with these values (the ``messages`` row's
    columns; others, such as ``sender_id``, are taken and left)."""
    return MessageView(
        id=message_id,
        conversation_id=conversation_id,
        seq=seq,
        sender_kind=sender_kind,
        sender_name=extra.get("sender_name"),
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        created_at=created_at,
        attachments=list(extra.get("attachments") or []),
        bot=extra.get("bot"),
        channel=extra.get("channel", Channel.WEB.value),
    )


async def _next_seq(session: AsyncSession, conversation: Conversation) -> int:
    """The next sequence number of a conversation already locked by this transaction."""
    if _numbered_here(session, conversation.id):
        conversation.last_seq += 1  # written at the flush, with the conversation's changes
        return int(conversation.last_seq)
    seq = await session.scalar(_NEXT_SEQ, {"conversation_id": conversation.id})
    assert seq is not None
    set_committed_value(conversation, "last_seq", seq)
    return int(seq)


async def append(
    session: AsyncSession,
    changes: Changes,
    conversation: Conversation,
    *,
    sender_kind: str,
    text: str,
    extra: dict[str, Any] | None = None,
) -> MessageView:
    """Another message (the bot's, a system note) in a transaction that holds the
    conversation's lock; published with ``changes`` after the commit."""
    seq = await _next_seq(session, conversation)
    # a conversation numbered in memory keeps its new number for the flush: its changes
    # are written once, not before each message (the message needs only its row there)
    numbered_here = _numbered_here(session, conversation.id)
    with session.sync_session.no_autoflush if numbered_here else contextlib.nullcontext():
        view = await insert_row(
            session,
            conversation.id,
            seq=seq,
            sender_kind=sender_kind,
            sender_id=None,
            client_msg_id=None,
            text=text,
            private=False,
            extra=extra or {},
        )
    changes.message(view, conversation)
    await outbound.queue(session, view, conversation.channel)
    await webhooks.emit(
        session, WebhookEvent.MESSAGE_CREATED, partial(message_data, view, conversation)
    )
    return view


async def system_note(
    session: AsyncSession, changes: Changes, conversation: Conversation, text: str
) -> MessageView:
    return await append(session, changes, conversation, sender_kind="system", text=text)


async def add_system_message(
    session: AsyncSession, conversation_id: int, text: str
) -> MessageView | None:
    """A system line in the transcript, inside the caller's transaction (the caller checks
    access and commits; the live event follows the commit): for example the number of a
    back-office task created from the conversation. None: no such conversation."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    return await system_note(session, changes_for(session), conversation, text)


async def open_with_system_message(
    session: AsyncSession, customer_id: int, text: str, *, line: str = Line.GENERAL
) -> Conversation:
    """A new conversation of ``customer_id`` that holds one system line and is already
    resolved (nobody waits in a queue for it; the customer may answer, which reopens it):
    how the system tells a customer something when no conversation is at hand, inside the
    caller's transaction (the caller commits; the live event follows the commit)."""
    now = utcnow()
    conversation = Conversation(
        customer_id=customer_id,
        line=line,
        status=ConversationStatus.RESOLVED,
        last_seq=0,
        extra={},
        created_at=now,
        updated_at=now,
        resolved_at=now,
    )
    session.add(conversation)
    await session.flush()
    await webhooks.emit(
        session, WebhookEvent.CONVERSATION_CREATED, partial(conversation_data, conversation)
    )
    await system_note(session, changes_for(session), conversation, text)
    return conversation


async def find_stored(
    session: AsyncSession, conversation_id: int, client_msg_id: str
) -> Message | None:
    """The message stored under ``client_msg_id`` in the conversation, if any."""
    message: Message | None = await session.scalar(
        _STORED, {"conversation_id": conversation_id, "client_msg_id": client_msg_id}
    )
    return message
