"""A visitor's message in a conversation the bot has, as one transaction script (issue 17):
the bot's turn taken on the row as its lock returned it, then the message and the answer in
one insert and the conversation as it stands after them in one update; when the bot hands
over, the conversation joins its line's queue, its service-level clocks start and the
dispatch looks for an operator, in the same transaction.

The general path (``sending._move_on``) inserts the message, takes the turn, inserts the
answer through ``transcript.append`` (its number kept in memory), writes the conversation
and, for a handoff, takes the assignment lock and reads the line's operators: on
PostgreSQL eight round trips with ``BEGIN`` and ``COMMIT``. Here the two inserts are one
statement, and on PostgreSQL the update and the assignment's advisory lock ride on it
(a data-modifying ``WITH``): five round trips (``BEGIN``, the row lock, the statement, the
operators' read, ``COMMIT``). The dispatch is the general one
(``assignment.dispatch_queue``): an operator with room takes the conversation at once.

It applies to what is common: a visitor's text in their web chat while the bot has the
conversation (a visitor has no account for the bot to act on, so the turn writes nothing of
its own). A customer's message (the bot may act on their account), another channel (its
answers go out through the outbox), a file, the seller lines and a conversation the
transaction itself has just made are the general path's. What both paths write is the same,
row for row and event for event (``tests/chat/test_follow_up.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Update,
    bindparam,
    func,
    insert,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.settings import Settings
from marketdesk.store.models import Conversation, utcnow
from marketdesk.store.rows import as_loaded, update_by_id

from .. import webhooks
from ..principals import Principal
from ..webhooks.payloads import message_data
from .assignment import ASSIGN_LOCK_KEY, dispatch_queue, queue_state
from .bot_turn import after_turn, bot_turn, visitor_turn_rows
from .context import ChatContext
from .events import changes_for
from .transcript import (
    CONVERSATIONS,
    MESSAGES,
    held_conversation,
    insert_messages,
    numbered_in_memory,
    stored_view,
)
from .views import MessageView, SendResult, conversation_view

__all__ = ["answer", "applies"]

# what the turn may change of the conversation, and what a handoff changes besides
_ANSWERED = ("topic", "extra", "last_seq")
_HANDED_OVER = (
    *_ANSWERED,
    "status",
    "assigned_operator_id",
    "queued_at",
    "resolved_at",
    "first_response_due_at",
    "resolution_due_at",
)
_MESSAGE_COLUMNS = (
    "conversation_id",
    "seq",
    "sender_kind",
    "sender_id",
    "client_msg_id",
    "text",
    "private",
    "extra",
    "created_at",
)


def applies(ctx: ChatContext, principal: Principal, message: Any, locked: Any) -> bool:
    """Whether ``message`` (an ``OutgoingMessage``) from ``principal`` into the conversation
    whose row its lock returned (``locked``) is this script's (see the module's text)."""
    return (
        principal.kind == "visitor"
        and ctx.bot is not None
        and locked.status == S.BOT
        and locked.customer_id is None
        and locked.channel == Channel.WEB
        and message.channel == Channel.WEB
        and not message.attachments
        and not message.private
        and bool(message.text.strip())
        and locked.line not in (Line.SELLER, Line.SELLER_CHAT)
    )


@dataclass(frozen=True, slots=True)
class _Turn:
    """What the transaction writes: the conversation's new values (``columns`` of them)
    and the two messages' rows."""

    conversation_id: int
    columns: tuple[str, ...]
    values: dict[str, Any]
    messages: list[dict[str, Any]]
    handoff: bool
    now: datetime


async def answer(session: AsyncSession, ctx: ChatContext, request: Any, locked: Any) -> SendResult:
    """The visitor's message of ``request`` (a ``sending.SendRequest``; checked, its
    conversation's row locked by this transaction as ``locked``), the bot's answer and,
    for a handoff, the queue and the dispatch; committed here. The message's number is
    ``locked.last_seq`` (the lock's), the answer's the next."""
    assert ctx.bot is not None
    principal, message = request.principal, request.message
    now = utcnow()
    conversation = as_loaded(Conversation, locked._mapping)  # the turn's, not the session's
    settings = ctx.settings if ctx.settings is not None else Settings()
    reply, state, _ = await bot_turn(
        session, ctx.bot, conversation, message.text, settings, request.read
    )
    seq = int(locked.last_seq)
    conversation.last_seq = seq + 1
    after_turn(conversation, reply, state)
    handoff = reply.action == "handoff"
    if handoff:
        queue_state(conversation, now)
    columns = _HANDED_OVER if handoff else _ANSWERED
    messages = [
        {"conversation_id": locked.id, **row}
        for row in visitor_turn_rows(
            principal, message.client_msg_id, message.text, reply, seq=seq, now=now
        )
    ]
    turn = _Turn(
        locked.id, columns, {c: getattr(conversation, c) for c in columns}, messages, handoff, now
    )
    views, emitted = await session.run_sync(lambda sync: _write(sync.connection(), turn, locked))
    changes = changes_for(session, ctx.publish)
    changes.message(views[0], locked)
    changes.message(views[1], conversation)
    after: Any = conversation
    if handoff:
        # in the session as read, so that the dispatch's assignment changes this object
        after = held_conversation(session, {**locked._mapping, **turn.values})
        numbered_in_memory(session, after)  # an operator's note numbered as the answer was
        changes.changed(after, None)
        await dispatch_queue(session, changes, after.line, lock_held=True)
    await session.commit()
    if emitted:
        await webhooks.wake_after_commit()
    return SendResult(message=views[0], replies=views[1:], conversation=conversation_view(after))


def _write(connection: Connection, turn: _Turn, locked: Any) -> tuple[list[MessageView], int]:
    """The two messages and the conversation's update (PostgreSQL: one statement, with the
    assignment's lock for a handoff); their webhooks. → (the messages' views, the webhooks'
    deliveries written)."""
    if connection.dialect.name == "postgresql":
        parameters = {f"c_{k}": v for k, v in turn.values.items()}
        for n, row in enumerate(turn.messages, start=1):
            parameters |= {f"m{n}_{k}": row[k] for k in _MESSAGE_COLUMNS}
        parameters["c_id"] = turn.conversation_id
        if turn.handoff:
            parameters["lock_key"] = ASSIGN_LOCK_KEY
        statement = _in_one(turn.columns, turn.handoff)
        found = {row.seq: row.id for row in connection.execute(statement, parameters)}
        ids = [int(found[row["seq"]]) for row in turn.messages]
    else:
        ids = insert_messages(connection, turn.messages)
        values = {f"c_{k}": v for k, v in turn.values.items()}
        connection.execute(_update(turn.columns), values | {"c_id": turn.conversation_id})
    views = [stored_view(i, **m) for i, m in zip(ids, turn.messages, strict=True)]
    data = [partial(message_data, view, locked) for view in views]
    return views, webhooks.emit_sync(connection, WebhookEvent.MESSAGE_CREATED, data, turn.now)


# built once for each set of columns (building a statement cost more than running it)
_IN_ONE: dict[tuple[tuple[str, ...], bool], Select[Any]] = {}


def _update(columns: tuple[str, ...]) -> Update:
    return update_by_id(CONVERSATIONS, columns, prefix="c_")


def _in_one(columns: tuple[str, ...], handoff: bool) -> Select[Any]:
    """PostgreSQL's one statement: the two messages inserted, the conversation updated (a
    ``WITH`` each) and, for a handoff, the assignment's advisory lock taken (the operators'
    read that follows is a statement of its own, so it sees what the lock's holders
    committed). → a row (id, seq) a message."""
    statement = _IN_ONE.get((columns, handoff))
    if statement is not None:
        return statement
    # (an ``INSERT … SELECT``: a multi-row ``VALUES`` is not cached, and compiling this
    # statement cost more than the round trips it saves)
    rows = [
        select(*(bindparam(f"m{n}_{k}", type_=MESSAGES.c[k].type) for k in _MESSAGE_COLUMNS))
        for n in (1, 2)
    ]
    messages = (
        insert(MESSAGES)
        .from_select(list(_MESSAGE_COLUMNS), union_all(*rows))
        .returning(MESSAGES.c.id, MESSAGES.c.seq)
        .cte("m")
    )
    conversation = _update(columns).returning(CONVERSATIONS.c.id).cte("c")
    selected: list[Any] = [messages.c.id, messages.c.seq]
    if handoff:
        lock = select(func.pg_advisory_xact_lock(bindparam("lock_key"))).scalar_subquery()
        selected.append(lock.label("locked"))
    statement = _IN_ONE[(columns, handoff)] = select(*selected).add_cte(conversation)
    return statement
