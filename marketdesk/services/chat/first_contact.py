"""A visitor's question in a new conversation as one transaction script (issue 17): the
conversation as it stands after the bot's answer and the two messages, written from values
worked out before the write lock, with no ORM between the statements; for a new visitor
(``POST /api/v1/visitors`` with ``conversation``) its row and session first, for a known one
(``POST /api/v1/conversations`` with ``first_message``) its checks first.

The general path (``lifecycle.open_first_conversation``) inserts the conversation, then the
message, lets the bot answer under the lock, inserts the answer and updates the
conversation: seven statements through the ORM, with SQLite's write lock held about 1.8 ms
of which SQLite's own work was a tenth (bench/README.md). A visitor's new conversation is
nobody else's until the commit, and the bot's turn in it reads nothing of the database (a
visitor has no account for the bot to act on): so the turn is taken first, and the lock is
held for four inserts and the commit. On PostgreSQL a new visitor's four inserts are one
statement: three round trips with ``BEGIN`` and ``COMMIT``, not eight; and where no webhook
wants the events (as this process keeps the subscriptions), one: the statement goes alone,
in autocommit (``store.transactions.statement_alone``). A known visitor's
row is locked (PostgreSQL; SQLite's write lock orders them), and a retry of the request or
the open-conversation limit is read for, as the general path does.

It applies to what is common: a question the bot answers (or refuses) on a line a visitor
opens as asked or is routed from. Anything else — no bot, an empty text, the seller lines,
the bot handing over to the operators (a queue, the service-level clocks, the dispatch), a
retry, the limit — writes nothing, and the caller takes the general path, which reads the
text again from the same ``read``. What both paths write is the same, row for row and event
for event (``tests/chat/test_first_contact.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, insert, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot.core import FirstRead
from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.settings import Settings
from marketdesk.store.models import Conversation, Session, Visitor, utcnow
from marketdesk.store.rows import as_loaded, with_defaults
from marketdesk.store.transactions import write_locked

from .. import webhooks
from ..principals import Principal
from ..webhooks.payloads import conversation_data, message_data
from .bot_turn import after_turn, bot_turn, visitor_turn_rows
from .checks import check_send, require_valid_line
from .context import ChatContext
from .events import changes_for
from .queries import LOCK_VISITOR, OPEN_OF_VISITOR, SENT_FIRST_BY_VISITOR
from .transcript import CONVERSATIONS, MESSAGES, ROW_VERSION, insert_messages, stored_view
from .views import ConversationView, MessageView, SendResult, conversation_view

__all__ = ["FirstContact", "open_first_contact", "open_with_question"]

_VISITORS: Table = Visitor.__table__  # type: ignore[assignment]
_SESSIONS: Table = Session.__table__  # type: ignore[assignment]

_EVENTS = (WebhookEvent.CONVERSATION_CREATED, WebhookEvent.MESSAGE_CREATED)

# built once (building a statement cost more CPU than SQLite took to run it)
_INSERT_VISITOR = insert(_VISITORS)
_INSERT_SESSION = insert(_SESSIONS).returning(*_SESSIONS.c)
_INSERT_CONVERSATION = insert(CONVERSATIONS).returning(*CONVERSATIONS.c)


@dataclass(frozen=True, slots=True)
class FirstContact:
    """What the script wrote: the new visitor's session row (``sessions``' columns; None
    for a visitor who had one), the conversation and the sent message with the bot's
    answer."""

    session_row: Any
    conversation: ConversationView
    sent: SendResult


@dataclass(frozen=True, slots=True)
class _Opening:
    """A new conversation as it stands after the bot's answer, and both messages: the
    values to insert, worked out before the write lock."""

    owner: str
    line: str
    client_msg_id: str
    conversation: dict[str, Any]
    messages: list[dict[str, Any]]
    now: datetime


@dataclass(frozen=True, slots=True)
class _Written:
    session_row: Any
    conversation: Any
    messages: list[MessageView]
    emitted: int
    version: str | None = None  # the conversation's row version (PostgreSQL's one statement)


async def open_first_contact(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    session_values: dict[str, Any],
    line: str,
    client_msg_id: str,
    text: str,
    read: FirstRead | None,
) -> FirstContact | None:
    """The visitor ``principal`` (not yet written), its session (``session_values``, a
    ``sessions`` row to insert) and its first conversation on ``line`` with the message
    ``text`` and the bot's answer, committed together; or None, with nothing written or
    begun, where the general path must do it (see the module's text). A send that may not
    be made raises as the general path's would (``check_send``)."""
    opening = await _opening(session, ctx, principal, line, client_msg_id, text, read)
    if opening is None:
        return None
    visitor = {"id": opening.owner, "created_at": opening.now}
    return await _commit(session, ctx, opening, new_visitor=_NewVisitor(visitor, session_values))


async def open_with_question(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    line: str,
    client_msg_id: str,
    text: str,
    read: FirstRead | None,
    max_open: int | None,
) -> FirstContact | None:
    """A visitor who has a token opens a conversation on ``line`` with its question
    (``POST /api/v1/conversations`` with ``first_message``) and the bot answers, in one
    transaction; or None, with nothing written, where the general path must do it: the
    general cases of :func:`open_first_contact`, and under the lock a retry of this
    request (a conversation with ``client_msg_id`` there already) or ``max_open``
    conversations open on the line (the message goes to the latest: the general path)."""
    opening = await _opening(session, ctx, principal, line, client_msg_id, text, read)
    if opening is None:
        return None
    return await _commit(session, ctx, opening, max_open=max_open)


async def _opening(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    line: str,
    client_msg_id: str,
    text: str,
    read: FirstRead | None,
) -> _Opening | None:
    """The conversation after the bot's answer to ``text``, and the two messages; None
    where the script does not apply (a customer, no bot, an empty text, the seller lines,
    the bot handing over)."""
    if principal.kind != "visitor":
        return None
    check_send(principal, client_msg_id, text, False)
    if ctx.bot is None or not text.strip() or line in (Line.SELLER, Line.SELLER_CHAT):
        return None
    require_valid_line(line, field="line")
    actual = Line.GENERAL.value  # a visitor's line (``lifecycle._customer_line``)
    now = utcnow()
    values: dict[str, Any] = {  # as ``lifecycle._open`` inserts it, the rest by default
        "customer_id": None,
        "visitor_id": str(principal.id),
        "line": actual,
        "channel": Channel.WEB.value,
        "channel_contact_id": None,
        "status": S.BOT.value,
        "last_seq": 2,  # the question and the answer
        "extra": {"requested_line": line} if actual != line else {},
        "seller_topic": None,
        "seller_subtopic": None,
        "created_at": now,
        "updated_at": now,
    }
    conversation = as_loaded(Conversation, values)  # never in the session: the turn's subject
    settings = ctx.settings if ctx.settings is not None else Settings()
    # a visitor's turn reads nothing (no account): the conversation need not exist yet
    reply, state, _ = await bot_turn(session, ctx.bot, conversation, text, settings, read)
    if reply.action == "handoff":
        return None
    after_turn(conversation, reply, state)
    values["topic"], values["extra"] = conversation.topic, conversation.extra
    # a visitor's web chat sends nothing out (``outbound``): no delivery rows
    messages = visitor_turn_rows(principal, client_msg_id, text, reply, seq=1, now=now)
    return _Opening(str(principal.id), actual, client_msg_id, values, messages, now)


@dataclass(frozen=True, slots=True)
class _NewVisitor:
    """A new visitor's rows, written first: its ``visitors`` and ``sessions`` rows."""

    visitor: dict[str, Any]
    session_values: dict[str, Any]


async def _commit(
    session: AsyncSession,
    ctx: ChatContext,
    opening: _Opening,
    *,
    new_visitor: _NewVisitor | None = None,
    max_open: int | None = None,
) -> FirstContact | None:
    """``opening`` written under the write lock (after the new visitor's rows, or after a
    known visitor's checks) and committed; None, rolled back with nothing written, where
    the checks leave it to the general path."""
    # a new visitor's rows on PostgreSQL are one statement: alone, without BEGIN and COMMIT,
    # where no webhook wants the events (their deliveries would be more statements)
    alone = new_visitor is not None and await webhooks.alone_where_unwanted(session, *_EVENTS)
    async with write_locked(session):
        written = await session.run_sync(
            lambda sync: _write(sync.connection(), opening, new_visitor, max_open, alone=alone)
        )
        if written is None:
            await session.rollback()
            return None
        row, views = written.conversation, written.messages
        changes = changes_for(session, ctx.publish)
        for message_view in views:
            changes.message(message_view, row)
        await session.commit()
    if written.emitted:
        await webhooks.wake_after_commit()
    known = ctx.known
    if known is not None and written.version is not None and row.status == S.BOT:
        # the row as written (every column, ``_write_in_one``'s), for the bot's turn in the
        # visitor's next message (it then reads nothing: ``follow_up.answer_unlocked``)
        known.note_row(row.id, written.version, vars(row))
    view = conversation_view(row)
    sent = SendResult(message=views[0], replies=views[1:], conversation=view)
    return FirstContact(written.session_row, view, sent)


def _nothing_there(connection: Connection, opening: _Opening, max_open: int | None) -> bool:
    """A known visitor's opening: their row locked (PostgreSQL; on SQLite the write lock
    orders them), then neither a retry of this request nor ``max_open`` open conversations
    on the line (as ``lifecycle._open_with_first_message`` reads them)."""
    if connection.dialect.name == "postgresql":
        connection.execute(LOCK_VISITOR, {"owner": opening.owner})
    retry = connection.execute(
        SENT_FIRST_BY_VISITOR, {"owner": opening.owner, "client_msg_id": opening.client_msg_id}
    ).first()
    if retry is not None:
        return False
    if max_open is None:
        return True
    open_ones = connection.execute(
        OPEN_OF_VISITOR, {"owner": opening.owner, "line": opening.line, "max_open": max_open}
    ).all()
    return len(open_ones) < max_open


def _write(
    connection: Connection,
    opening: _Opening,
    new_visitor: _NewVisitor | None,
    max_open: int | None,
    *,
    alone: bool = False,
) -> _Written | None:
    """The script's statements, in the session's transaction (its commit is the caller's);
    None when a known visitor's checks leave it to the general path (nothing written).
    ``alone``: PostgreSQL's one statement in autocommit, no webhook wanting the events (as
    this process knew them just before): none are raised."""
    messages = opening.messages
    session_row: Any  # (a row, or the same columns as attributes)
    row: Any
    version: str | None = None
    if new_visitor is not None and connection.dialect.name == "postgresql":
        session_row, row, message_ids, version = _write_in_one(connection, opening, new_visitor)
    else:
        session_row = None
        if new_visitor is not None:
            connection.execute(_INSERT_VISITOR, new_visitor.visitor)
            session_row = connection.execute(_INSERT_SESSION, new_visitor.session_values).one()
        elif not _nothing_there(connection, opening, max_open):
            return None
        row = connection.execute(_INSERT_CONVERSATION, opening.conversation).one()
        for message in messages:
            message["conversation_id"] = row.id
        message_ids = insert_messages(connection, messages)  # both in one statement
    views = [stored_view(i, **m) for i, m in zip(message_ids, messages, strict=True)]
    if alone:
        return _Written(session_row, row, views, 0, version)
    now = opening.now
    emitted = webhooks.emit_sync(
        connection, WebhookEvent.CONVERSATION_CREATED, [partial(conversation_data, row)], now
    )
    data = [partial(message_data, view, row) for view in views]
    emitted += webhooks.emit_sync(connection, WebhookEvent.MESSAGE_CREATED, data, now)
    return _Written(session_row, row, views, emitted, version)


# PostgreSQL: a new visitor's four inserts as one statement (data-modifying ``WITH``; the
# foreign keys are checked at its end), one round trip instead of four
_MESSAGE_KEYS = ("seq", "sender_kind", "sender_id", "client_msg_id", "text", "private", "extra")
_IN_ONE: dict[tuple[tuple[str, ...], tuple[str, ...]], Select[Any]] = {}


def _in_one(session_keys: tuple[str, ...], conversation_keys: tuple[str, ...]) -> Select[Any]:
    """The one statement for these columns of the session and the conversation (built
    once): every column of both rows, labelled ``s_…`` and ``c_…``, the conversation's row
    version (``c_row_version``) and the two messages' ids, ``m_1`` and ``m_2``."""
    statement = _IN_ONE.get((session_keys, conversation_keys))
    if statement is not None:
        return statement

    def binds(table: Table, prefix: str, keys: tuple[str, ...]) -> dict[str, Any]:
        return {k: bindparam(f"{prefix}{k}", type_=table.c[k].type) for k in keys}

    visitor = insert(_VISITORS).values(binds(_VISITORS, "v_", ("id", "created_at"))).cte("v")
    session = (
        insert(_SESSIONS)
        .values(binds(_SESSIONS, "s_", session_keys))
        .returning(*_SESSIONS.c)
        .cte("s")
    )
    conversation = (
        insert(CONVERSATIONS)
        .values(binds(CONVERSATIONS, "c_", conversation_keys))
        .returning(*CONVERSATIONS.c, ROW_VERSION.label("row_version"))
        .cte("c")
    )
    rows = [
        select(
            conversation.c.id,
            *(bindparam(f"m{n}_{k}", type_=MESSAGES.c[k].type) for k in _MESSAGE_KEYS),
            bindparam("m_created_at", type_=MESSAGES.c.created_at.type),
        )
        for n in (1, 2)
    ]
    messages = (
        insert(MESSAGES)
        .from_select(["conversation_id", *_MESSAGE_KEYS, "created_at"], union_all(*rows))
        .returning(MESSAGES.c.id, MESSAGES.c.seq)
        .cte("m")
    )
    ids = [
        select(messages.c.id).where(messages.c.seq == n).scalar_subquery().label(f"m_{n}")
        for n in (1, 2)
    ]
    statement = (
        select(
            *(c.label(f"s_{c.name}") for c in session.c),
            *(c.label(f"c_{c.name}") for c in conversation.c),
            *ids,
        )
        .select_from(session.join(conversation, true()))
        .add_cte(visitor)
    )
    _IN_ONE[(session_keys, conversation_keys)] = statement
    return statement


def _write_in_one(
    connection: Connection, opening: _Opening, new_visitor: _NewVisitor
) -> tuple[SimpleNamespace, SimpleNamespace, list[int], str]:
    """A new visitor's opening on PostgreSQL: one statement (:func:`_in_one`). → (the
    session's row, the conversation's row, the two messages' ids, the conversation's row
    version)."""
    # inside a ``WITH`` the columns' Python-side defaults are not filled in: given here
    session_values = with_defaults(_SESSIONS, new_visitor.session_values)
    conversation = with_defaults(CONVERSATIONS, opening.conversation)
    parameters = {f"v_{k}": v for k, v in new_visitor.visitor.items()}
    parameters |= {f"s_{k}": v for k, v in session_values.items()}
    parameters |= {f"c_{k}": v for k, v in conversation.items()}
    for n, message in enumerate(opening.messages, start=1):
        assert message["seq"] == n
        parameters |= {f"m{n}_{k}": message[k] for k in _MESSAGE_KEYS}
    parameters["m_created_at"] = opening.now
    statement = _in_one(tuple(session_values), tuple(conversation))
    found = connection.execute(statement, parameters).one()._mapping
    session_row = SimpleNamespace(**{c.name: found[f"s_{c.name}"] for c in _SESSIONS.c})
    row = SimpleNamespace(**{c.name: found[f"c_{c.name}"] for c in CONVERSATIONS.c})
    for message in opening.messages:
        message["conversation_id"] = row.id
    return session_row, row, [int(found["m_1"]), int(found["m_2"])], str(found["c_row_version"])
