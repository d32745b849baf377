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

On PostgreSQL, where no webhook wants the messages and the sender read the conversation as
the bot's before (the chat writer), :func:`answer_unlocked` goes first and takes no lock:
the row read with its version, the turn, one statement alone that writes only that version
(two round trips; for a handoff the assignment's lock, shared with other handoffs, and the
operators' read ride on it, through a function that reads after the lock). A row written
in between leaves nothing written, and the locked way answers. Where the writer keeps the
row as this process last read or wrote it (:class:`.known_states.KnownStates`), the turn is
taken on that row and the statement is the one round trip; a kept row written since is
read again once.

It applies to what is common: a visitor's text in their web chat while the bot has the
conversation (a visitor has no account for the bot to act on, so the turn writes nothing of
its own). A customer's message (the bot may act on their account), another channel (its
answers go out through the outbox), a file, the seller lines and a conversation the
transaction itself has just made are the general path's. What both paths write is the same,
row for row and event for event (``tests/chat/test_follow_up.py``,
``tests/chat/test_follow_up_unlocked.py``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Connection,
    Select,
    Update,
    bindparam,
    exists,
    func,
    insert,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.settings import Settings
from marketdesk.store.models import Conversation, utcnow
from marketdesk.store.rows import as_loaded, update_by_id

from .. import webhooks
from ..chat_access import may_read_now
from ..principals import Principal
from ..webhooks.payloads import message_data
from .assignment import ASSIGN_LOCK_KEY, dispatch_queue, queue_state
from .bot_turn import after_turn, bot_turn, visitor_turn_rows
from .checks import send_refusal
from .context import ChatContext
from .events import changes_for
from .known_states import KnownStates
from .transcript import (
    CONVERSATIONS,
    MESSAGES,
    ROW_VERSION,
    held_conversation,
    insert_messages,
    numbered_in_memory,
    stored_view,
)
from .views import MessageView, SendResult, conversation_view

__all__ = ["VERSIONED_ROWS", "answer", "answer_unlocked", "applies", "may_go_unlocked", "remember"]

log = logging.getLogger("marketdesk.chat.follow_up")

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
        _message_applies(ctx, principal, message)
        and locked.status == S.BOT
        and locked.customer_id is None
        and locked.channel == Channel.WEB
        and locked.line not in (Line.SELLER, Line.SELLER_CHAT)
    )


def _message_applies(ctx: ChatContext, principal: Principal, message: Any) -> bool:
    """What of :func:`applies` the message alone decides."""
    return (
        principal.kind == "visitor"
        and ctx.bot is not None
        and message.channel == Channel.WEB
        and not message.attachments
        and not message.private
        and bool(message.text.strip())
    )


def may_go_unlocked(session: AsyncSession, request: Any) -> bool:
    """Whether :func:`answer_unlocked` is worth a try for ``request`` (a ``SendRequest``):
    PostgreSQL, a message this script may take, and the bot's reading of it worked out
    before (the sender believed the bot has the conversation: ``ChatWriter``)."""
    return (
        request.read is not None
        and session.get_bind().dialect.name == "postgresql"
        and _message_applies(request.ctx, request.principal, request.message)
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
    turn, conversation = await _take_turn(session, ctx, request, locked._mapping)
    views, emitted = await session.run_sync(lambda sync: _write(sync.connection(), turn, locked))
    after = _collect(session, ctx, turn, views, locked, conversation)
    if turn.handoff:
        numbered_in_memory(session, after)  # an operator's note numbered as the answer was
        await dispatch_queue(session, changes_for(session, ctx.publish), after.line, lock_held=True)
    await session.commit()
    if emitted:
        await webhooks.wake_after_commit()
    return SendResult(message=views[0], replies=views[1:], conversation=conversation_view(after))


async def answer_unlocked(
    session: AsyncSession, ctx: ChatContext, request: Any
) -> SendResult | None:
    """:func:`answer` without the row's lock, on PostgreSQL where no webhook wants the
    messages (their deliveries would be more statements): the conversation read as it
    stands (with its row version, ``xmin``), the bot's turn on it, then one statement alone
    (no ``BEGIN``, no ``COMMIT``) that writes the conversation only if its row is still that
    version, and the two messages only if it did. For a handoff the statement also takes
    the assignment's lock, shared, and reads the line's operators after it
    (``marketdesk_assignment_candidates``, a migration's function: a fresh snapshot after
    the lock); the conversation joins the queue as the statement commits, which lets the
    lock go: a dispatch (which holds the lock alone) that takes the lock later sees it
    queued, one that held it before is seen in the operators' read; other handoffs hold it
    beside this one (each only adds to the queue). When an operator has room, the dispatch
    follows in a transaction of its own (``assignment.dispatch_queue``, which may assign an
    older conversation of the queue first, as any dispatch does). Two round trips, where the
    locked way takes five with the lock's statement, ``BEGIN`` and ``COMMIT``; one where
    the chat writer keeps the row (its version the read's): a kept row written since makes
    the statement write nothing, and the row is read again once.

    → None when nothing was written: a conversation this script does not take (or the
    writer's belief was stale), a refusal, a webhook that wants the messages, or a row
    written in between (a message from another process, an operator): the caller takes
    the locked path, which answers each of these as it always has (a retry of a stored
    message, whose key the statement's insert found taken, included)."""
    if not await webhooks.alone_where_unwanted(session, WebhookEvent.MESSAGE_CREATED):
        return None
    try:
        result = await _unlocked(session, ctx, request)
    except DBAPIError:  # the key of a stored message, a deadlock: nothing was written
        result = None
    if result is None:
        await session.rollback()
    return result


async def _unlocked(session: AsyncSession, ctx: ChatContext, request: Any) -> SendResult | None:
    cid = request.message.conversation_id
    known = ctx.known
    kept = known.take_row(cid) if known is not None else None
    if kept is not None:  # the row as this process last read or wrote it
        try:
            return await _on_row(session, ctx, request, kept, known)
        except _RowWritten:  # since: read it as it stands, and once more
            pass
    read = (await session.execute(_READ_VERSIONED, {"id": cid})).first()
    if read is None:
        return None
    try:
        return await _on_row(session, ctx, request, _versioned(read._mapping), known)
    except _RowWritten:  # in between: the locked way
        return None


class _RowWritten(Exception):
    """The conversation's row is no longer the version the turn was taken on: nothing was
    written."""


def _versioned(row: Mapping[Any, Any]) -> tuple[str, dict[str, Any]]:
    """A row of :data:`VERSIONED_ROWS` (or the one-row read) → (version, the row)."""
    return str(row["row_version"]), {k: v for k, v in row.items() if k != "row_version"}


def remember(known: KnownStates, row: Mapping[Any, Any]) -> None:
    """A conversation's row read with its version (:data:`VERSIONED_ROWS`) in ``known``:
    the state of each, the whole row of one the bot has (its next turn reads nothing)."""
    version, state = _versioned(row)
    if state["status"] == S.BOT:
        known.note_row(int(state["id"]), version, state)
    else:
        known.note(int(state["id"]), str(state["status"]), str(state["line"]))


async def _on_row(
    session: AsyncSession,
    ctx: ChatContext,
    request: Any,
    versioned: tuple[str, dict[str, Any]],
    known: KnownStates | None,
) -> SendResult | None:
    """:func:`_unlocked` on the row ``versioned`` (version, row; the row is this call's to
    change). None: a message or a conversation this script does not take, or a refusal
    (the locked way answers them); :class:`_RowWritten` when the row is not that version."""
    principal, message = request.principal, request.message
    version, state = versioned
    # the message's number and the row's time, as the lock's statement would give them
    state["last_seq"] += 1
    state["updated_at"] = utcnow()
    seen = SimpleNamespace(_mapping=state, **state)  # a row as the lock's statement returns
    if (
        not applies(ctx, principal, message, seen)
        or may_read_now(principal, seen) is not True
        or send_refusal(principal, seen, message.private) is not None
    ):
        return None
    turn, conversation = await _take_turn(session, ctx, request, state)
    values = {**turn.values, "updated_at": state["updated_at"]}
    parameters = _parameters(turn, values) | {"c_version": version}
    if turn.handoff:
        parameters |= {"q_line": state["line"], "q_lock": ASSIGN_LOCK_KEY}
    statement = _unlocked_statement(tuple(values), turn.handoff)
    found: dict[int, int] = {}
    written: str | None = None
    room = False
    for row in await session.execute(statement, parameters):
        if row.seq is not None:
            found[row.seq] = row.id
            written = None if turn.handoff else row.row_version
        elif row.load < row.capacity:  # an operator of the line with room
            room = True
    if not found:  # the row was written since it was read: nothing of this was
        raise _RowWritten
    views = _views(turn, [int(found[m["seq"]]) for m in turn.messages])
    after = _collect(session, ctx, turn, views, seen, conversation)
    await session.commit()
    if known is not None and written is not None:  # the bot's next turn reads nothing
        known.note_row(turn.conversation_id, written, {**state, **values})
    if room:  # the dispatch, in a transaction of its own (the session's next)
        try:
            await dispatch_queue(session, changes_for(session, ctx.publish), after.line)
            await session.commit()
        except SQLAlchemyError:  # the message is stored: the next dispatch takes it
            log.warning("dispatch after a handoff failed", exc_info=True)
            await session.rollback()
    return SendResult(message=views[0], replies=views[1:], conversation=conversation_view(after))


async def _take_turn(
    session: AsyncSession, ctx: ChatContext, request: Any, state: Mapping[str, Any]
) -> tuple[_Turn, Conversation]:
    """The bot's turn on the conversation as ``state`` has it (its ``last_seq`` the
    message's number) → what to write, and the conversation after the turn (not in the
    session)."""
    assert ctx.bot is not None
    principal, message = request.principal, request.message
    now = utcnow()
    conversation = as_loaded(Conversation, state)  # the turn's, not the session's
    settings = ctx.settings if ctx.settings is not None else Settings()
    reply, dialog, _ = await bot_turn(
        session, ctx.bot, conversation, message.text, settings, request.read
    )
    seq = int(state["last_seq"])
    conversation.last_seq = seq + 1
    after_turn(conversation, reply, dialog)
    handoff = reply.action == "handoff"
    if handoff:
        queue_state(conversation, now)
    columns = _HANDED_OVER if handoff else _ANSWERED
    messages = [
        {"conversation_id": state["id"], **row}
        for row in visitor_turn_rows(
            principal, message.client_msg_id, message.text, reply, seq=seq, now=now
        )
    ]
    values = {c: getattr(conversation, c) for c in columns}
    return _Turn(state["id"], columns, values, messages, handoff, now), conversation


def _collect(
    session: AsyncSession,
    ctx: ChatContext,
    turn: _Turn,
    views: list[MessageView],
    before: Any,
    conversation: Conversation,
) -> Any:
    """The live events of the turn (published after the commit) → the conversation after
    it: for a handoff, in the session with the values written (so that a dispatch changes
    this object). ``before``: the conversation's row as the turn found it."""
    changes = changes_for(session, ctx.publish)
    changes.message(views[0], before)
    changes.message(views[1], conversation)
    if not turn.handoff:
        return conversation
    after = held_conversation(session, {**before._mapping, **turn.values})
    changes.changed(after, None)
    return after


def _parameters(turn: _Turn, values: Mapping[str, Any]) -> dict[str, Any]:
    """The one statement's parameters: the conversation's (``c_``, :func:`_row_parameters`)
    and each message's (``m1_``, ``m2_``)."""
    parameters = _row_parameters(turn, values)
    for n, row in enumerate(turn.messages, start=1):
        parameters |= {f"m{n}_{k}": row[k] for k in _MESSAGE_COLUMNS}
    return parameters


def _row_parameters(turn: _Turn, values: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation's update's parameters: ``values`` as ``c_…`` and its id."""
    return {f"c_{k}": v for k, v in values.items()} | {"c_id": turn.conversation_id}


def _views(turn: _Turn, ids: list[int]) -> list[MessageView]:
    return [stored_view(i, **m) for i, m in zip(ids, turn.messages, strict=True)]


def _write(connection: Connection, turn: _Turn, locked: Any) -> tuple[list[MessageView], int]:
    """The two messages and the conversation's update (PostgreSQL: one statement, with the
    assignment's lock for a handoff); their webhooks. → (the messages' views, the webhooks'
    deliveries written)."""
    if connection.dialect.name == "postgresql":
        parameters = _parameters(turn, turn.values)
        if turn.handoff:
            parameters["lock_key"] = ASSIGN_LOCK_KEY
        statement = _in_one(turn.columns, turn.handoff)
        found = {row.seq: row.id for row in connection.execute(statement, parameters)}
        ids = [int(found[row["seq"]]) for row in turn.messages]
    else:
        ids = insert_messages(connection, turn.messages)
        connection.execute(_update(turn.columns), _row_parameters(turn, turn.values))
    views = _views(turn, ids)
    data = [partial(message_data, view, locked) for view in views]
    return views, webhooks.emit_sync(connection, WebhookEvent.MESSAGE_CREATED, data, turn.now)


# built once for each set of columns (building a statement cost more than running it)
_IN_ONE: dict[tuple[tuple[str, ...], bool], Select[Any]] = {}
_UNLOCKED: dict[tuple[tuple[str, ...], bool], Select[Any] | CompoundSelect[Any]] = {}

# the conversation as it stands, with its row's version (PostgreSQL's ``xmin``: the
# transaction that wrote the row; any write of the row changes it)
_VERSIONED = select(*CONVERSATIONS.c, ROW_VERSION.label("row_version"))
_READ_VERSIONED = _VERSIONED.where(
    CONVERSATIONS.c.id == bindparam("id", type_=CONVERSATIONS.c.id.type)
)
VERSIONED_ROWS = _VERSIONED.where(CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True)))
"""The conversations ``ids`` (a list), each row with its version (PostgreSQL)."""


def _update(columns: tuple[str, ...]) -> Update:
    return update_by_id(CONVERSATIONS, columns, prefix="c_")


def _inserted_messages(*, only_after: Any = None) -> Any:
    """The two messages' ``INSERT … SELECT … RETURNING id, seq`` as a ``WITH`` (``m``);
    ``only_after``: a ``WITH`` whose rows the insert needs (none: nothing inserted)."""
    # (an ``INSERT … SELECT``: a multi-row ``VALUES`` is not cached, and compiling this
    # statement cost more than the round trips it saves)
    rows = [
        select(*(bindparam(f"m{n}_{k}", type_=MESSAGES.c[k].type) for k in _MESSAGE_COLUMNS))
        for n in (1, 2)
    ]
    if only_after is not None:
        rows = [row.where(exists(select(only_after.c.id))) for row in rows]
    return (
        insert(MESSAGES)
        .from_select(list(_MESSAGE_COLUMNS), union_all(*rows))
        .returning(MESSAGES.c.id, MESSAGES.c.seq)
        .cte("m")
    )


def _in_one(columns: tuple[str, ...], handoff: bool) -> Select[Any]:
    """PostgreSQL's one statement: the two messages inserted, the conversation updated (a
    ``WITH`` each) and, for a handoff, the assignment's advisory lock taken (the operators'
    read that follows is a statement of its own, so it sees what the lock's holders
    committed). → a row (id, seq) a message."""
    statement = _IN_ONE.get((columns, handoff))
    if statement is not None:
        return statement
    messages = _inserted_messages()
    conversation = _update(columns).returning(CONVERSATIONS.c.id).cte("c")
    selected: list[Any] = [messages.c.id, messages.c.seq]
    if handoff:
        lock = select(func.pg_advisory_xact_lock(bindparam("lock_key"))).scalar_subquery()
        selected.append(lock.label("locked"))
    statement = _IN_ONE[(columns, handoff)] = select(*selected).add_cte(conversation)
    return statement


def _unlocked_statement(
    columns: tuple[str, ...], handoff: bool
) -> Select[Any] | CompoundSelect[Any]:
    """:func:`answer_unlocked`'s statement: the conversation updated if its row is the
    version read (``c_version``), the messages inserted if it was; for a handoff, once the
    row is written, the assignment's lock and the line's operators after it. → a row
    (id, seq) a message, and for a handoff a row (id, NULL, capacity, load) an operator."""
    statement = _UNLOCKED.get((columns, handoff))
    if statement is not None:
        return statement
    conversation = (
        _update(columns)
        .where(ROW_VERSION == bindparam("c_version"))  # noqa: SIM300 (a column, not a constant)
        .returning(CONVERSATIONS.c.id, ROW_VERSION.label("row_version"))
        .cte("c")
    )
    messages = _inserted_messages(only_after=conversation)
    if not handoff:  # with the row's new version (the bot's next turn reads nothing)
        version = select(conversation.c.row_version).scalar_subquery()
        built: Select[Any] | CompoundSelect[Any] = select(
            messages.c.id, messages.c.seq, version.label("row_version")
        )
    else:
        operators = func.marketdesk_assignment_candidates(
            bindparam("q_line", type_=CONVERSATIONS.c.line.type),
            bindparam("q_lock", type_=BigInteger()),
        ).table_valued("operator_id", "chat_capacity", "load")
        built = union_all(
            select(
                messages.c.id,
                messages.c.seq,
                null().label("capacity"),
                null().label("load"),
            ),
            select(
                operators.c.operator_id,
                null(),
                operators.c.chat_capacity,
                operators.c.load,
            ).where(exists(select(conversation.c.id))),
        )
    _UNLOCKED[(columns, handoff)] = built
    return built
