"""Live chat conversations: the bot first, then an operator of the conversation's line.

Seed 002: «Сперва там будет отвечать бот … если он помочь в решении вопроса не сможет, то на
помощь придет реальный сотрудник»; «Обычно вам напишут в течение 1-3 минут»; Travel's
priority line; seller support with a topic, a sub-topic and a ticket number.

Statuses: bot → queued → assigned → resolved → closed. A new customer message reopens a
resolved conversation (back to its operator, or to the queue); a closed one stays closed.

Every write is one function here that checks (who may, what state allows), does (in one
transaction) and then notifies (``ChatContext.publish``, after the commit).

Delivery: a message is committed before it is acknowledged. ``client_msg_id`` makes a send
idempotent (the unique constraint on (conversation_id, client_msg_id) holds across
restarts); ``seq`` comes from ``UPDATE conversations SET last_seq = last_seq + 1 …
RETURNING`` in the same transaction as the insert, so each conversation's messages are
numbered 1, 2, 3 … with no gaps and no duplicates, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from marketdesk.bot import Bot
from marketdesk.domain.chat_access import SUPERVISOR_ROLES as SUPERVISOR_ACCESS_ROLES
from marketdesk.domain.lines import LINE_TITLES_RU, Line, route_line
from marketdesk.domain.tasks import SELLER_SUPPORT_TOPICS, is_valid_seller_topic
from marketdesk.store.db import Database
from marketdesk.store.models import (
    Conversation,
    Customer,
    Message,
    Operator,
    OperatorLine,
    OperatorPresence,
    TravelProfile,
    Visitor,
    utcnow,
)

from . import chat_access as access
from .chat_events import (
    ConversationChanged,
    MessageStored,
    Publisher,
    conversation_channel,
    line_channel,
    no_publisher,
    operator_channel,
)
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .principals import Principal

if TYPE_CHECKING:
    from .chat_writer import ChatWriter

__all__ = [
    "MAX_CLIENT_MSG_ID",
    "MAX_TEXT",
    "STATUS_TITLES_RU",
    "ChatContext",
    "ConversationView",
    "GuardObjected",
    "MessageView",
    "QueueItem",
    "QueuePage",
    "SendRequest",
    "SendResult",
    "TextGuard",
    "add_system_message",
    "close",
    "dispatch_queue",
    "find_sent",
    "get_conversation",
    "list_messages",
    "list_my_conversations",
    "list_operator_conversations",
    "list_queue",
    "public_view",
    "rate",
    "replay",
    "request_operator",
    "resolve",
    "seller_topics",
    "send_message",
    "serialized_writes",
    "set_availability",
    "sqlite_write_lock",
    "start_conversation",
    "store_batch",
    "store_message",
    "submit_message",
    "take",
    "transfer",
    "validate_text",
]

MAX_TEXT = 4_000
MAX_CLIENT_MSG_ID = 64
OPEN_STATUSES = ("bot", "queued", "assigned")
QUEUE_PAGE = 50
MAX_QUEUE_PAGE = 200
PREVIEW_LENGTH = 200
MAX_PAGE = 1_000
# any constant; the same in every process: serialises assignments on PostgreSQL
_PG_ASSIGN_LOCK = 0x6D647361

STATUS_TITLES_RU = {
    "bot": "Отвечает бот",
    "queued": "Ожидает оператора",
    "assigned": "Оператор в чате",
    "resolved": "Вопрос решён",
    "closed": "Диалог закрыт",
}
STAFF_ROLES = ("operator", "supervisor")
SUPERVISOR_ROLES = ("supervisor",)

TEXT_QUEUED = (
    "Передаю диалог оператору. Обычно оператор отвечает в течение 1–3 минут, "
    "в зависимости от загруженности. Пожалуйста, не закрывайте чат."
)
TEXT_ASSIGNED = "Оператор подключился к диалогу."
TEXT_TRANSFERRED_OPERATOR = "Диалог передан другому оператору."
TEXT_TRANSFERRED_LINE = "Диалог передан на линию «{line}». Оператор скоро подключится."
TEXT_RESOLVED = (
    "Оператор отметил вопрос как решённый. Оцените, пожалуйста, работу поддержки от 1 до 5. "
    "Если вопрос остался, просто напишите — диалог откроется снова."
)
TEXT_REOPENED = "Диалог снова открыт."
TEXT_CLOSED = "Диалог закрыт. Чтобы задать новый вопрос, начните новый диалог."
TEXT_TICKET = "Обращение зарегистрировано, номер {ticket}. Тема: {topic} / {subtopic}."


TextGuard = Callable[[Connection, int | None, str], bool]
"""``guard(connection, customer_id, text)``: whether ``text`` may go to the conversation's
customer (``customer_id``; None for a visitor). It runs inside the message's own
transaction, on its connection, after the conversation is locked and a retry is ruled out
(a retry of a stored message is answered as such, whatever the guard says now)."""


class GuardObjected(Exception):
    """The send's text guard objected: nothing was stored (the caller explains why)."""


@dataclass(slots=True)
class ChatContext:
    """What the chat services need besides a database session: the bot, where live events
    go, and the group-commit writer of the running server (None: each send commits alone)."""

    bot: Bot | None = None
    publish: Publisher = no_publisher
    writer: ChatWriter | None = None


# --------------------------------------------------------------------------- views


class MessageView(BaseModel):
    id: int
    conversation_id: int
    seq: int
    sender_kind: str
    sender_name: str | None = None
    client_msg_id: str | None
    text: str
    private: bool
    created_at: datetime
    attachments: list[dict[str, Any]] = []
    bot: dict[str, Any] | None = None


class ConversationView(BaseModel):
    id: int
    status: str
    status_title: str
    line: str
    line_title: str
    topic: str | None
    assigned_operator_id: int | None
    customer_id: int | None
    visitor_id: str | None
    ticket_number: str | None
    seller_topic: str | None
    seller_subtopic: str | None
    rating: int | None
    last_seq: int
    created_at: datetime
    queued_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


class QueueItem(BaseModel):
    """A queued conversation; the transcript is fetched on demand (its messages route)."""

    conversation: ConversationView
    preview: str | None  # the customer's last message, cut to PREVIEW_LENGTH characters


class QueuePage(BaseModel):
    line: str
    total: int
    limit: int
    offset: int
    items: list[QueueItem]


@dataclass(slots=True)
class SendResult:
    message: MessageView
    duplicate: bool = False
    replies: list[MessageView] = field(default_factory=list)
    conversation: ConversationView | None = None


def _message_view(message: Message) -> MessageView:
    extra = message.extra or {}
    return MessageView(
        id=message.id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        sender_kind=message.sender_kind,
        sender_name=extra.get("sender_name"),
        client_msg_id=message.client_msg_id,
        text=message.text,
        private=message.private,
        created_at=message.created_at,
        attachments=list(extra.get("attachments") or []),
        bot=extra.get("bot"),
    )


def _conversation_view(conversation: Any) -> ConversationView:
    """From an ORM object or a Core row of ``conversations``."""
    return ConversationView(
        id=conversation.id,
        status=conversation.status,
        status_title=STATUS_TITLES_RU[conversation.status],
        line=conversation.line,
        line_title=LINE_TITLES_RU[Line(conversation.line)],
        topic=conversation.topic,
        assigned_operator_id=conversation.assigned_operator_id,
        customer_id=conversation.customer_id,
        visitor_id=conversation.visitor_id,
        ticket_number=conversation.ticket_number,
        seller_topic=conversation.seller_topic,
        seller_subtopic=conversation.seller_subtopic,
        rating=conversation.rating,
        last_seq=conversation.last_seq,
        created_at=conversation.created_at,
        queued_at=conversation.queued_at,
        resolved_at=conversation.resolved_at,
        closed_at=conversation.closed_at,
    )


def public_view(view: ConversationView) -> dict[str, Any]:
    """What a customer sees of a conversation (no staff ids)."""
    data = view.model_dump(mode="json")
    data.pop("assigned_operator_id", None)
    data["operator_connected"] = view.status == "assigned"
    return data


# --------------------------------------------------------------------------- checks


def validate_text(text: str, *, allow_empty: bool = False) -> None:
    """At most 4 000 characters; storable on every backend (no NUL, valid Unicode)."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"Сообщение длиннее {MAX_TEXT} символов. Сократите его или разбейте на части.",
            code="message_too_long",
        )
    if not allow_empty and not text.strip():
        raise InvalidInput("Сообщение пустое.", code="message_empty")
    if "\x00" in text:
        raise InvalidInput("Сообщение содержит недопустимый символ.", code="invalid_text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            "Сообщение содержит недопустимые символы.", code="invalid_text"
        ) from None


def _validate_client_msg_id(client_msg_id: str) -> None:
    if (
        not client_msg_id
        or len(client_msg_id) > MAX_CLIENT_MSG_ID
        or not client_msg_id.isprintable()
    ):
        raise InvalidInput(
            f"client_msg_id: от 1 до {MAX_CLIENT_MSG_ID} печатных символов.",
            code="invalid_client_msg_id",
        )
    try:
        client_msg_id.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidInput(
            "client_msg_id: только латинские буквы, цифры и знаки.", code="invalid_client_msg_id"
        ) from None


def _check_send(
    principal: Principal, client_msg_id: str, text: str, private: bool, *, allow_empty: bool = False
) -> None:
    """What a send must be before it touches the database."""
    validate_text(text, allow_empty=allow_empty)
    _validate_client_msg_id(client_msg_id)
    if principal.is_operator:
        principal.require_operator(*STAFF_ROLES)
    elif private:
        raise PermissionDenied("Заметки доступны только сотрудникам.", code="notes_staff_only")


def _not_found(conversation_id: int) -> NotFound:
    # the same answer whether it does not exist or belongs to someone else
    return NotFound(f"Диалог {conversation_id} не найден.", code="conversation_not_found")


def is_participant(principal: Principal, conversation: Any) -> bool:
    """The conversation's own customer or visitor."""
    return (
        principal.kind in ("customer", "visitor")
        and access.may_read_now(principal, conversation) is True
    )


def _is_supervisor(principal: Principal) -> bool:
    return bool(principal.roles & SUPERVISOR_ACCESS_ROLES)


async def _load(session: AsyncSession, principal: Principal, conversation_id: int) -> Conversation:
    """The conversation, if the caller may read it (``services.chat_access``: its
    participant, its line's operators, its present and past operators, supervisors);
    otherwise the very answer a missing conversation gets."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or not await access.may_read(session, principal, conversation):
        raise _not_found(conversation_id)
    return conversation


async def _operator_lines(session: AsyncSession, operator_id: int) -> set[str]:
    return set(await access.operator_lines(session, operator_id))


async def _require_line(session: AsyncSession, principal: Principal, line: str) -> None:
    principal.require_operator(*STAFF_ROLES)
    if _is_supervisor(principal):
        return
    if line not in await _operator_lines(session, int(principal.id)):
        raise PermissionDenied(
            f"Вы не работаете на линии «{LINE_TITLES_RU[Line(line)]}».", code="wrong_line"
        )


# --------------------------------------------------------------------------- SQLite writes

_sqlite_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])


def sqlite_write_lock(engine: Any) -> asyncio.Lock | None:
    """The process's write lock of a SQLite engine (sync or async); None on PostgreSQL."""
    engine = getattr(engine, "sync_engine", engine)
    if engine.dialect.name != "sqlite":
        return None
    lock = _sqlite_write_locks.get(engine)
    if lock is None:
        lock = _sqlite_write_locks[engine] = asyncio.Lock()
    return lock


def _serialized(function: _F) -> _F:
    """On SQLite, one write transaction at a time per process: waiting on an asyncio lock
    is fair and immediate, where SQLite's busy handler sleeps up to 100 ms between tries.
    PostgreSQL needs nothing (row locks)."""

    @functools.wraps(function)
    async def wrapper(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        lock = sqlite_write_lock(session.get_bind())
        if lock is None:
            return await function(session, *args, **kwargs)
        async with lock:
            return await function(session, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- writing


_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
_MESSAGES: Table = Message.__table__  # type: ignore[assignment]


async def _lock_row_for_message(session: AsyncSession, conversation_id: int) -> Any:
    """Core ``UPDATE … last_seq + 1 … RETURNING *``: the row lock, the next sequence number
    and the state under the lock, in one round trip and without the ORM's overhead."""
    result = await session.execute(
        update(_CONVERSATIONS)
        .where(_CONVERSATIONS.c.id == conversation_id)
        .values(last_seq=_CONVERSATIONS.c.last_seq + 1, updated_at=utcnow())
        .returning(*_CONVERSATIONS.c)
    )
    return result.one_or_none()


async def _insert_row(
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
    created_at = utcnow()
    message_id = await session.scalar(
        insert(_MESSAGES)
        .values(
            conversation_id=conversation_id,
            seq=seq,
            sender_kind=sender_kind,
            sender_id=sender_id,
            client_msg_id=client_msg_id,
            text=text,
            private=private,
            extra=extra,
            created_at=created_at,
        )
        .returning(_MESSAGES.c.id)
    )
    assert message_id is not None
    return MessageView(
        id=int(message_id),
        conversation_id=conversation_id,
        seq=seq,
        sender_kind=sender_kind,
        sender_name=extra.get("sender_name"),
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        created_at=created_at,
        attachments=list(extra.get("attachments") or []),
    )


async def _next_seq(session: AsyncSession, conversation: Conversation) -> int:
    """The next sequence number of a conversation already locked by this transaction."""
    seq = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_seq=Conversation.last_seq + 1)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    )
    assert seq is not None
    set_committed_value(conversation, "last_seq", seq)
    return int(seq)


async def _insert_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    seq: int,
    sender_kind: str,
    text: str,
    sender_id: str | None = None,
    client_msg_id: str | None = None,
    private: bool = False,
    extra: dict[str, Any] | None = None,
) -> Message:
    message: Message | None = await session.scalar(
        insert(Message)
        .values(
            conversation_id=conversation.id,
            seq=seq,
            sender_kind=sender_kind,
            sender_id=sender_id,
            client_msg_id=client_msg_id,
            text=text,
            private=private,
            extra=extra or {},
            created_at=utcnow(),
        )
        .returning(Message)
    )
    assert message is not None
    return message


async def _append(
    session: AsyncSession,
    conversation: Conversation,
    *,
    sender_kind: str,
    text: str,
    sender_id: str | None = None,
    client_msg_id: str | None = None,
    private: bool = False,
    extra: dict[str, Any] | None = None,
) -> Message:
    """Another message in a transaction that holds the conversation's lock."""
    seq = await _next_seq(session, conversation)
    return await _insert_message(
        session,
        conversation,
        seq=seq,
        sender_kind=sender_kind,
        text=text,
        sender_id=sender_id,
        client_msg_id=client_msg_id,
        private=private,
        extra=extra,
    )


def _system(session: AsyncSession, conversation: Conversation, text: str) -> Any:
    return _append(session, conversation, sender_kind="system", text=text)


async def add_system_message(session: AsyncSession, conversation_id: int, text: str) -> Message:
    """A system line in the transcript, inside the caller's transaction (the caller commits):
    for example the number of a back-office task created from the conversation."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise _not_found(conversation_id)
    message: Message = await _system(session, conversation, text)
    return message


async def _assign_lock(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_ASSIGN_LOCK})


async def _loads(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(Conversation.assigned_operator_id, func.count())
        .where(Conversation.status == "assigned")
        .group_by(Conversation.assigned_operator_id)
    )
    return {int(op): int(n) for op, n in rows if op is not None}


async def _pick_operator(session: AsyncSession, line: str) -> int | None:
    """The least-loaded available operator of the line with room under chat_capacity."""
    candidates = (
        await session.execute(
            select(Operator.id, Operator.chat_capacity)
            .join(OperatorLine, OperatorLine.operator_id == Operator.id)
            .join(OperatorPresence, OperatorPresence.operator_id == Operator.id)
            .where(
                OperatorLine.line == line,
                OperatorPresence.available.is_(True),
                Operator.is_active.is_(True),
                Operator.chat_capacity > 0,
            )
        )
    ).all()
    if not candidates:
        return None
    loads = await _loads(session)
    free = [
        (loads.get(op_id, 0), op_id)
        for op_id, capacity in candidates
        if loads.get(op_id, 0) < capacity
    ]
    return min(free)[1] if free else None


async def _has_room(session: AsyncSession, operator: Operator) -> bool:
    load = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.assigned_operator_id == operator.id, Conversation.status == "assigned")
    )
    return int(load or 0) < operator.chat_capacity


async def _operator_name(session: AsyncSession, operator_id: int) -> str:
    name = await session.scalar(select(Operator.full_name).where(Operator.id == operator_id))
    return name or "Оператор"


@dataclass(slots=True)
class _Changes:
    """What a transaction did, to publish after the commit."""

    messages: list[tuple[Message | MessageView, int | None]] = field(default_factory=list)
    conversations: dict[int, tuple[Conversation, int | None, str]] = field(default_factory=dict)

    def message(self, message: Message | MessageView, conversation: Any) -> None:
        self.messages.append((message, conversation.assigned_operator_id))

    def changed(self, conversation: Conversation, previous_operator_id: int | None) -> None:
        """Record a change; call before changing the line (the old queue hears of it)."""
        first = self.conversations.get(conversation.id)
        if first is None:
            first = (conversation, previous_operator_id, conversation.line)
        self.conversations[conversation.id] = first

    async def publish(self, ctx: ChatContext) -> None:
        for message, operator_id in self.messages:
            channels = [conversation_channel(message.conversation_id)]
            if operator_id is not None:
                channels.append(operator_channel(operator_id))
            view = message if isinstance(message, MessageView) else _message_view(message)
            event = MessageStored(
                conversation_id=message.conversation_id, message=view.model_dump(mode="json")
            )
            await ctx.publish(channels, event.model_dump(mode="json"))
        for conversation, previous, previous_line in self.conversations.values():
            channels = [conversation_channel(conversation.id), line_channel(conversation.line)]
            if previous_line != conversation.line:
                channels.append(line_channel(previous_line))
            if conversation.assigned_operator_id is not None:
                channels.append(operator_channel(conversation.assigned_operator_id))
            if previous is not None and previous != conversation.assigned_operator_id:
                channels.append(operator_channel(previous))
            changed = ConversationChanged(
                conversation_id=conversation.id,
                conversation=_conversation_view(conversation).model_dump(mode="json"),
                previous_operator_id=previous,
            )
            await ctx.publish(channels, changed.model_dump(mode="json"))


async def _enqueue(
    session: AsyncSession, conversation: Conversation, changes: _Changes, *, note: str | None
) -> None:
    previous = conversation.assigned_operator_id
    conversation.status = "queued"
    conversation.assigned_operator_id = None
    conversation.queued_at = utcnow()
    conversation.resolved_at = None
    if note:
        changes.message(await _system(session, conversation, note), conversation)
    changes.changed(conversation, previous)
    await dispatch_queue(session, conversation.line, changes=changes)


async def _assign(
    session: AsyncSession, conversation: Conversation, operator_id: int, changes: _Changes
) -> None:
    previous = conversation.assigned_operator_id
    conversation.status = "assigned"
    conversation.assigned_operator_id = operator_id
    conversation.resolved_at = None
    await session.flush()
    await access.record_operator(session, conversation.id, operator_id)
    changes.changed(conversation, previous)
    changes.message(await _system(session, conversation, TEXT_ASSIGNED), conversation)


async def dispatch_queue(
    session: AsyncSession, line: str, *, changes: _Changes | None = None
) -> list[int]:
    """Assign the line's queued conversations, oldest first, to the least-loaded available
    operators within their capacity. Runs inside the caller's transaction; returns the ids
    of the conversations it assigned."""
    changes = changes if changes is not None else _Changes()
    await _assign_lock(session)
    assigned: list[int] = []
    while True:
        operator_id = await _pick_operator(session, line)
        if operator_id is None:
            break
        # SKIP LOCKED: a conversation another transaction is writing to is left to it
        conversation = await session.scalar(
            select(Conversation)
            .where(Conversation.status == "queued", Conversation.line == line)
            .order_by(Conversation.queued_at, Conversation.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if conversation is None:
            break
        await _assign(session, conversation, operator_id, changes)
        assigned.append(conversation.id)
    return assigned


async def _customer_line(session: AsyncSession, principal: Principal, requested: str) -> str:
    """The line a new conversation goes to (seed 002): Travel's priority line only for the
    customers it is for, seller support for sellers."""
    if requested == Line.SELLER:
        return route_line(is_seller=True).value
    if requested == Line.TRAVEL_PRIORITY and principal.kind == "customer":
        profile = await session.get(TravelProfile, int(principal.id))
        if profile is not None:
            return route_line(
                has_hotel_booking=profile.has_hotel_booking,
                is_corporate=profile.is_corporate,
                package=profile.package,
            ).value
    return Line.GENERAL.value


def seller_topics() -> list[dict[str, Any]]:
    """Topics and sub-topics of seller support (the drop-down lists of the widget)."""
    return [{"title": t.title_ru, "subtopics": list(t.subtopics_ru)} for t in SELLER_SUPPORT_TOPICS]


async def _lock_owner(session: AsyncSession, principal: Principal) -> None:
    """The row lock of the visitor or customer for the rest of the transaction: their
    conversations are counted and created one request at a time (SQLite: the write lock)."""
    if principal.kind == "customer":
        await session.execute(
            update(Customer).where(Customer.id == int(principal.id)).values(id=Customer.id)
        )
    else:
        await session.execute(
            update(Visitor).where(Visitor.id == str(principal.id)).values(id=Visitor.id)
        )


@_serialized
async def start_conversation(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    line: str = "general",
    seller_topic: str | None = None,
    seller_subtopic: str | None = None,
    max_open: int | None = None,
) -> tuple[ConversationView, bool]:
    """A customer or visitor opens a conversation; the bot answers first. With ``max_open``
    conversations of the caller already open on that line (not resolved or closed), no new
    one is made: the most recent open one is returned (the widget simply goes on with it).
    → (the conversation, whether it is new)."""
    if principal.kind not in ("customer", "visitor"):
        raise PermissionDenied(
            "Диалог начинает покупатель или посетитель сайта.", code="customers_only"
        )
    if line not in {ln.value for ln in Line}:
        raise InvalidInput(
            "Линия: general, travel_priority или seller.", code="invalid_line", fields=["line"]
        )
    if line == Line.SELLER:
        if not seller_topic or not seller_subtopic:
            raise InvalidInput(
                "Для обращения в поддержку продавцов выберите тему и подтему.",
                code="seller_topic_required",
            )
        if not is_valid_seller_topic(seller_topic, seller_subtopic):
            raise InvalidInput(
                "Неизвестная тема или подтема обращения.", code="invalid_seller_topic"
            )
    actual = await _customer_line(session, principal, line)
    if max_open is not None:
        await _lock_owner(session, principal)
        owner = (
            Conversation.customer_id == int(principal.id)
            if principal.kind == "customer"
            else Conversation.visitor_id == str(principal.id)
        )
        open_ones = list(
            await session.scalars(
                select(Conversation)
                .where(owner, Conversation.line == actual, Conversation.status.in_(OPEN_STATUSES))
                .order_by(Conversation.id.desc())
                .limit(max_open)
            )
        )
        if len(open_ones) >= max_open:
            await session.commit()
            return _conversation_view(open_ones[0]), False
    now = utcnow()
    conversation = Conversation(
        customer_id=int(principal.id) if principal.kind == "customer" else None,
        visitor_id=str(principal.id) if principal.kind == "visitor" else None,
        line=actual,
        status="bot",
        last_seq=0,
        extra={"requested_line": line} if actual != line else {},
        seller_topic=seller_topic if actual == Line.SELLER else None,
        seller_subtopic=seller_subtopic if actual == Line.SELLER else None,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    changes = _Changes()
    if actual == Line.SELLER:
        conversation.ticket_number = f"S-{now:%Y}-{conversation.id:07d}"
        await session.flush()
        note = TEXT_TICKET.format(
            ticket=conversation.ticket_number, topic=seller_topic, subtopic=seller_subtopic
        )
        changes.message(await _system(session, conversation, note), conversation)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation), True


async def _existing(
    session: AsyncSession, conversation_id: int, client_msg_id: str
) -> Message | None:
    message: Message | None = await session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_msg_id == client_msg_id
        )
    )
    return message


async def find_sent(
    session: AsyncSession, principal: Principal, conversation_id: int, client_msg_id: str
) -> SendResult | None:
    """The message already stored under ``client_msg_id`` (a retry), if any."""
    found = await _existing(session, conversation_id, client_msg_id)
    return None if found is None else _duplicate(found, principal)


def _duplicate(message: Message, principal: Principal) -> SendResult:
    if message.sender_id != str(principal.id) or (
        (message.sender_kind == "operator") != principal.is_operator
    ):
        raise Conflict(
            "Этот client_msg_id уже использован другим участником диалога.",
            code="client_msg_id_taken",
        )
    return SendResult(message=_message_view(message), duplicate=True)


async def store_message(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
    private: bool = False,
    attachments: Sequence[dict[str, Any]] = (),
    guard: TextGuard | None = None,
) -> SendResult:
    """Store a message (once per ``client_msg_id``) and let the conversation move on: the bot
    answers while it has the conversation; a customer's message reopens a resolved one.

    The hot path is three statements: ``UPDATE … last_seq + 1 … RETURNING`` (the row lock,
    the sequence number and the state to decide on), ``INSERT … RETURNING``, ``COMMIT``. A
    retry is caught by the unique constraint and answered with the stored message.
    ``guard`` (see :data:`TextGuard`) runs under the lock; when it objects nothing is stored
    and :class:`GuardObjected` is raised (unless it is a retry of a stored message)."""
    _check_send(principal, client_msg_id, text, private, allow_empty=bool(attachments))
    changes = _Changes()
    replies: list[Message] = []
    try:
        locked = await _lock_row_for_message(session, conversation_id)
        if locked is None or not await access.may_read(session, principal, locked):
            await session.rollback()
            raise _not_found(conversation_id)
        refusal = await _refusal_under_lock(session, principal, locked, private, text, guard)
        if refusal is not None:  # nothing is stored; a retry of a stored message is answered
            await session.rollback()
            retried = await find_sent(session, principal, conversation_id, client_msg_id)
            if retried is not None:
                return retried
            raise refusal
        status = locked.status
        message = await _insert_row(
            session,
            conversation_id,
            seq=locked.last_seq,
            sender_kind="operator" if principal.is_operator else principal.kind,
            sender_id=str(principal.id),
            client_msg_id=client_msg_id,
            text=text,
            private=private,
            extra=_sent_extra(principal, attachments),
        )
        changes.message(message, locked)
        transition = not principal.is_operator and (
            status == "resolved" or (status == "bot" and ctx.bot is not None)
        )
        if not transition:  # the common case: three statements and the commit
            await session.commit()
            await changes.publish(ctx)
            return SendResult(message=message, conversation=_conversation_view(locked))
        conversation = await session.get(Conversation, conversation_id, populate_existing=True)
        assert conversation is not None
        if status == "resolved":
            replies.append(await _reopen_for_customer(session, conversation, changes))
        elif ctx.bot is not None:  # the bot has the conversation
            replies.extend(await _bot_answers(session, ctx.bot, conversation, text, changes))
        await session.commit()
    except IntegrityError:
        # a retry, or two identical sends at once: the message is already stored
        await session.rollback()
        found = await _existing(session, conversation_id, client_msg_id)
        if found is None:
            raise
        return _duplicate(found, principal)
    await changes.publish(ctx)
    return SendResult(
        message=message,
        replies=[_message_view(m) for m in replies],
        conversation=_conversation_view(conversation),
    )


def _sent_extra(principal: Principal, attachments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A sent message's ``extra``: the operator's name, the attachments."""
    extra: dict[str, Any] = {}
    if principal.is_operator:
        extra["sender_name"] = principal.name
    if attachments:
        extra["attachments"] = list(attachments)
    return extra


async def _refusal_under_lock(
    session: AsyncSession,
    principal: Principal,
    locked: Any,
    private: bool,
    text: str,
    guard: TextGuard | None,
) -> Exception | None:
    """Why the message may not be stored (checked under the row lock), or None."""
    refusal = _refusal(principal, locked, private)
    if (
        refusal is None
        and guard is not None
        and not await session.run_sync(
            lambda sync: guard(sync.connection(), locked.customer_id, text)
        )
    ):
        refusal = GuardObjected()
    return refusal


async def _reopen_for_customer(
    session: AsyncSession, conversation: Conversation, changes: _Changes
) -> Message:
    """A customer wrote into a resolved conversation: back to its operator if they are still
    active, else to the queue. Returns the system note."""
    note: Message = await _system(session, conversation, TEXT_REOPENED)
    changes.message(note, conversation)
    operator = (
        await session.get(Operator, conversation.assigned_operator_id)
        if conversation.assigned_operator_id
        else None
    )
    if operator is not None and operator.is_active:
        conversation.status = "assigned"
        conversation.resolved_at = None
        changes.changed(conversation, operator.id)
    else:
        await _enqueue(session, conversation, changes, note=TEXT_QUEUED)
    return note


async def _bot_answers(
    session: AsyncSession, bot: Bot, conversation: Conversation, text: str, changes: _Changes
) -> list[Message]:
    """The bot's answer to a customer's message while it has the conversation (none, or
    one); a topic for the conversation, and a handoff to the queue when the bot hands off."""
    reply = bot.ask(text, in_conversation=True) if text.strip() else None
    if reply is None:
        return []
    bot_message = await _append(
        session,
        conversation,
        sender_kind="bot",
        text=reply.answer,
        extra={"bot": reply.to_json()},
    )
    changes.message(bot_message, conversation)
    if reply.topic:
        conversation.topic = reply.topic
    elif reply.suggestions and conversation.topic is None:
        # a handoff without a sure topic: the bot's best guess, for the operator
        conversation.topic = reply.suggestions[0].slug
    if reply.action == "handoff":
        await _enqueue(session, conversation, changes, note=None)
    return [bot_message]


store_one = _serialized(store_message)
"""``store_message`` in a transaction of its own, SQLite writes serialised."""
serialized_writes = _serialized


async def send_message(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
    private: bool = False,
    guard: TextGuard | None = None,
) -> SendResult:
    """The entry point for a message from any channel. With a running server's writer
    (``ctx.writer``) concurrent sends share one transaction and one commit (group commit);
    otherwise the message commits on its own. Either way it is stored before this returns.
    ``guard``: see :data:`TextGuard` (:class:`GuardObjected` when it objects).

    ``session`` may have been used for reads (they end here, so that no connection is held
    while the message waits for its batch); it must not carry uncommitted writes."""
    if ctx.writer is None or session.new or session.dirty or session.deleted:
        return await store_one(
            session,
            ctx,
            principal,
            conversation_id,
            client_msg_id=client_msg_id,
            text=text,
            private=private,
            guard=guard,
        )
    if session.in_transaction():
        await session.rollback()
    return await submit_message(
        ctx,
        principal,
        conversation_id,
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        guard=guard,
    )


async def submit_message(
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    client_msg_id: str,
    text: str,
    private: bool = False,
    guard: TextGuard | None = None,
) -> SendResult:
    """:func:`send_message` through the server's writer (``ctx.writer``), with no session
    of the caller's: the sockets' path."""
    if ctx.writer is None:
        raise RuntimeError("submit_message needs the server's chat writer")
    _check_send(principal, client_msg_id, text, private)
    return await ctx.writer.submit(
        SendRequest(
            ctx=ctx,
            principal=principal,
            conversation_id=conversation_id,
            client_msg_id=client_msg_id,
            text=text,
            private=private,
            guard=guard,
        )
    )


@dataclass(slots=True)
class SendRequest:
    """One message waiting for the writer's next batch."""

    ctx: ChatContext
    principal: Principal
    conversation_id: int
    client_msg_id: str
    text: str
    private: bool = False
    guard: TextGuard | None = None


def _batch_role(request: SendRequest, row: Any) -> str:
    """How a send takes part in a batch: ``plain`` (it changes nothing but the transcript),
    ``refused`` (it stores nothing: unknown conversation, not the sender's, closed, not
    assigned — or a retry, which the one-by-one path answers), ``moves`` (the conversation
    moves on: the bot answers, a resolved conversation reopens)."""
    principal = request.principal
    if row is None or not _may_read(principal, row):
        return "refused"
    if _refusal(principal, row, request.private) is not None:
        return "refused"
    if not principal.is_operator and (
        row.status == "resolved" or (row.status == "bot" and request.ctx.bot is not None)
    ):
        return "moves"
    return "plain"


async def store_batch(
    database: Database, requests: Sequence[SendRequest]
) -> list[SendResult | GuardObjected | None]:
    """Store the plain sends of ``requests`` in one transaction with one commit (under the
    process's SQLite write lock), then publish them. The answer is aligned with
    ``requests``: a result for each stored message, :class:`GuardObjected` for a send whose
    guard objected (nothing stored), None for a request the caller must send through
    :func:`store_one`, in order, after this returns (anything else: a bot answer, a
    reopening, a refusal, an unknown conversation, a retry of a stored message). From the
    first request that moves a conversation on, that conversation's later requests are left
    to the caller as well, so each conversation's messages keep the order they came in.

    The whole transaction is one synchronous function (on SQLite one hand-off to the writer
    thread, not one per statement): the rows are locked first (``SELECT … FOR UPDATE`` in id
    order on PostgreSQL; on SQLite an ``UPDATE … RETURNING`` takes the write lock), the
    messages go in with one multi-row ``INSERT … RETURNING``, each conversation's
    ``last_seq`` with one ``executemany``. Retries of stored messages are found first (one
    indexed read) and left to the caller; a unique-constraint violation all the same (a
    retry racing in from another process) rolls back the batch and leaves every request to
    the caller."""
    now = utcnow()
    lock = sqlite_write_lock(database.engine)
    async with lock if lock is not None else contextlib.nullcontext():
        stored, objected = await database.run_sync(
            lambda connection: _write_batch(connection, requests, now)
        )
    # live events after the commit and outside the write lock (Redis may take its time)
    results: list[SendResult | GuardObjected | None] = [None] * len(requests)
    for index in objected:
        results[index] = GuardObjected()
    for index, row, view, last_seq in stored:
        request = requests[index]
        changes = _Changes()
        changes.message(view, row)
        await changes.publish(request.ctx)
        conversation = _conversation_view(row)
        conversation.last_seq = last_seq
        results[index] = SendResult(message=view, conversation=conversation)
    return results


# the batch's statements, built once: building one per batch costs CPU and leaves cyclic
# garbage behind (expressions and their comparators) for the collector to pause on
_BATCH_IDS: Any = bindparam("ids", expanding=True)
_LOCK_SQLITE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id.in_(_BATCH_IDS))
    .values(updated_at=bindparam("now"))
    .returning(*_CONVERSATIONS.c)
)
_LOCK_POSTGRES = (
    select(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id.in_(_BATCH_IDS))
    .order_by(_CONVERSATIONS.c.id)
    .with_for_update()
)
# the batch's (conversation, client_msg_id) pairs already stored (retries), one search of
# the unique index per pair: SQLite plans a row-value IN list as a scan of the whole index,
# so there the pairs come in as JSON and are joined
_STORED_BEFORE_POSTGRES = select(_MESSAGES.c.conversation_id, _MESSAGES.c.client_msg_id).where(
    tuple_(_MESSAGES.c.conversation_id, _MESSAGES.c.client_msg_id).in_(
        bindparam("pairs", expanding=True)
    )
)
_STORED_BEFORE_SQLITE = text(
    f"SELECT m.conversation_id, m.client_msg_id FROM json_each(:pairs) AS p "  # noqa: S608
    f"JOIN {_MESSAGES.name} AS m ON m.conversation_id = json_extract(p.value, '$[0]') "
    f"AND m.client_msg_id = json_extract(p.value, '$[1]')"
)
_INSERT_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
_SET_LAST_SEQ = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values(last_seq=bindparam("b_seq"), updated_at=bindparam("b_at"))
)


def _write_batch(
    connection: Connection, requests: Sequence[SendRequest], now: datetime
) -> tuple[list[tuple[int, Any, MessageView, int]], list[int]]:
    """The transaction of :func:`store_batch`: (index, locked row, message, the
    conversation's last seq) for each stored message, and the indexes of the requests whose
    guard objected."""
    ids = sorted({r.conversation_id for r in requests})
    sqlite = connection.dialect.name == "sqlite"
    with connection.begin() as transaction:
        locked = connection.execute(
            _LOCK_SQLITE if sqlite else _LOCK_POSTGRES, {"ids": ids, "now": now}
        )
        rows: dict[int, Any] = {row.id: row for row in locked.all()}
        # retries of messages already stored: answered one by one, never inserted again
        pairs = sorted({(r.conversation_id, r.client_msg_id) for r in requests})
        stored_before = (
            connection.execute(_STORED_BEFORE_SQLITE, {"pairs": json.dumps(pairs)})
            if sqlite
            else connection.execute(_STORED_BEFORE_POSTGRES, {"pairs": pairs})
        )
        taken: set[tuple[int, str]] = {(int(row[0]), str(row[1])) for row in stored_before}
        last_seq: dict[int, int] = {}
        left: set[int] = set()  # conversations whose later requests go one by one
        plan: list[tuple[int, SendRequest, Any, int]] = []
        objected: list[int] = []
        for index, request in enumerate(requests):
            cid = request.conversation_id
            row: Any = rows.get(cid)
            key = (cid, request.client_msg_id)
            if key in taken:
                continue  # stored before, or earlier in this batch: a retry
            if cid in left:
                continue
            role = _batch_role(request, row)
            if role == "moves":  # what follows in this conversation must see it moved
                left.add(cid)
            if role != "plain":
                continue
            if request.guard is not None and not request.guard(
                connection, row.customer_id, request.text
            ):
                objected.append(index)
                continue
            seq = last_seq.get(cid, int(row.last_seq)) + 1
            last_seq[cid] = seq
            taken.add(key)
            plan.append((index, request, row, seq))
        if not plan:
            transaction.rollback()
            return [], objected
        values: list[dict[str, Any]] = [
            {
                "conversation_id": request.conversation_id,
                "seq": seq,
                "sender_kind": "operator"
                if request.principal.is_operator
                else request.principal.kind,
                "sender_id": str(request.principal.id),
                "client_msg_id": request.client_msg_id,
                "text": request.text,
                "private": request.private,
                "extra": {"sender_name": request.principal.name}
                if request.principal.is_operator
                else {},
                "created_at": now,
            }
            for _, request, _, seq in plan
        ]
        try:
            inserted = connection.execute(_INSERT_MESSAGES, values)
        except IntegrityError:
            transaction.rollback()
            return [], []
        message_ids = [int(i) for i in inserted.scalars().all()]
        connection.execute(
            _SET_LAST_SEQ,
            [{"b_id": cid, "b_seq": seq, "b_at": now} for cid, seq in last_seq.items()],
        )
    stored = [
        (
            index,
            row,
            MessageView(
                id=message_id,
                conversation_id=request.conversation_id,
                seq=value["seq"],
                sender_kind=value["sender_kind"],
                sender_name=value["extra"].get("sender_name"),
                client_msg_id=request.client_msg_id,
                text=request.text,
                private=request.private,
                created_at=now,
                attachments=[],
            ),
            last_seq[request.conversation_id],
        )
        for (index, request, row, _), message_id, value in zip(
            plan, message_ids, values, strict=True
        )
    ]
    return stored, objected


def _may_read(principal: Principal, conversation: Any) -> bool:
    """Read access decided without a query (``services.chat_access``); False also when an
    operator's lines or history would decide: the batch leaves those sends to
    :func:`store_one`, which asks :func:`chat_access.may_read`."""
    return access.may_read_now(principal, conversation) is True


def _refusal(principal: Principal, conversation: Any, private: bool) -> Exception | None:
    if conversation.status == "closed":
        return Conflict(TEXT_CLOSED, code="conversation_closed")
    if (
        principal.is_operator
        and not private
        and not _is_supervisor(principal)
        and conversation.assigned_operator_id != principal.id
    ):
        return Conflict(
            "Сначала возьмите диалог: писать покупателю может назначенный оператор.",
            code="not_assigned",
        )
    return None


@_serialized
async def request_operator(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """«Позвать оператора»: the bot steps aside and the conversation joins its line's queue.
    Again (queued, or with an operator already): the conversation as it is; closed: 409."""
    conversation = await _load(session, principal, conversation_id)
    if principal.is_operator:
        raise PermissionDenied("Оператора зовёт покупатель.", code="customers_only")
    if conversation.status == "closed":
        raise Conflict(TEXT_CLOSED, code="conversation_closed")
    if conversation.status not in ("bot", "resolved"):
        return _conversation_view(conversation)  # already waiting or with an operator
    changes = _Changes()
    await _lock(session, conversation)
    if conversation.status in ("bot", "resolved"):
        await _enqueue(session, conversation, changes, note=TEXT_QUEUED)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation)


async def _lock(session: AsyncSession, conversation: Conversation) -> None:
    """Row lock and fresh state, without using a sequence number."""
    row = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(updated_at=utcnow())
            .returning(
                Conversation.status,
                Conversation.assigned_operator_id,
                Conversation.line,
                Conversation.last_seq,
            )
            .execution_options(synchronize_session=False)
        )
    ).one()
    set_committed_value(conversation, "status", row[0])
    set_committed_value(conversation, "assigned_operator_id", row[1])
    set_committed_value(conversation, "line", row[2])
    set_committed_value(conversation, "last_seq", row[3])


async def _release(session: AsyncSession, conversation: Conversation) -> ConversationView:
    """Nothing to change after all: the conversation as it is under the lock, then the
    transaction rolled back (the row lock released). The view is taken first: a rollback
    expires every loaded attribute, and reading one afterwards would be lazy I/O outside
    the async driver's greenlet (``MissingGreenlet``, a 500 on a repeated or raced call)."""
    view = _conversation_view(conversation)
    await session.rollback()
    return view


@_serialized
async def take(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """An operator takes a queued conversation of their line by hand (within capacity).
    Again, by the one who has it: the conversation as it is; anyone else: 409 not_queued."""
    principal.require_operator(*STAFF_ROLES)
    conversation = await _load(session, principal, conversation_id)
    await _require_line(session, principal, conversation.line)
    operator = await session.get(Operator, int(principal.id))
    if operator is None:
        raise _not_found(conversation_id)
    await _lock(session, conversation)
    await _assign_lock(session)
    if conversation.status != "queued":
        state = (conversation.status, conversation.assigned_operator_id)
        view = await _release(session, conversation)
        if state == ("assigned", int(principal.id)):  # taken twice (a double click, a retry)
            return view
        raise Conflict("Диалог уже не в очереди.", code="not_queued")
    if not await _has_room(session, operator):
        capacity = operator.chat_capacity
        await _release(session, conversation)
        raise Conflict(
            f"Достигнут ваш предел одновременных диалогов: {capacity}.", code="at_capacity"
        )
    changes = _Changes()
    await _assign(session, conversation, operator.id, changes)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation)


@_serialized
async def transfer(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    to_operator_id: int | None = None,
    to_line: str | None = None,
) -> ConversationView:
    """Hand a conversation to another operator (who serves its line and has room) or to
    another line's queue. Again, to where it already is (the same operator, or the queue
    it waits in): the conversation as it is."""
    principal.require_operator(*STAFF_ROLES)
    if (to_operator_id is None) == (to_line is None):
        raise InvalidInput(
            "Укажите либо оператора, либо линию.", code="transfer_target", fields=["to"]
        )
    if to_line is not None and to_line not in {ln.value for ln in Line}:
        raise InvalidInput("Линия: general, travel_priority или seller.", code="invalid_line")
    conversation = await _load(session, principal, conversation_id)
    await _lock(session, conversation)
    if conversation.status not in ("queued", "assigned"):
        await session.rollback()
        raise Conflict("Передать можно диалог в очереди или в работе.", code="not_transferable")
    if (to_operator_id is not None and to_operator_id == conversation.assigned_operator_id) or (
        to_line == conversation.line and conversation.status == "queued"
    ):  # transferred twice (a double click, a retry): already where it was sent
        return await _release(session, conversation)
    if conversation.assigned_operator_id != principal.id and not _is_supervisor(principal):
        await session.rollback()
        raise PermissionDenied(
            "Передать диалог может назначенный оператор или супервизор.", code="not_assigned"
        )
    changes = _Changes()
    if to_operator_id is not None:
        target = await session.get(Operator, to_operator_id)
        if target is None or not target.is_active:
            await session.rollback()
            raise NotFound("Оператор не найден.", code="operator_not_found")
        lines = await _operator_lines(session, target.id)
        if conversation.line not in lines:
            await session.rollback()
            raise Conflict("Этот оператор не работает на линии диалога.", code="wrong_line")
        await _assign_lock(session)
        if not await _has_room(session, target):
            await session.rollback()
            raise Conflict("У этого оператора нет свободных мест.", code="at_capacity")
        previous = conversation.assigned_operator_id
        conversation.status = "assigned"
        conversation.assigned_operator_id = target.id
        await access.record_operator(session, conversation.id, target.id)
        changes.changed(conversation, previous)
        changes.message(
            await _system(session, conversation, TEXT_TRANSFERRED_OPERATOR), conversation
        )
        if previous is not None:
            await dispatch_queue(session, conversation.line, changes=changes)
    else:
        assert to_line is not None
        old_line = conversation.line
        changes.changed(conversation, conversation.assigned_operator_id)
        conversation.line = to_line
        note = TEXT_TRANSFERRED_LINE.format(line=LINE_TITLES_RU[Line(to_line)])
        await _enqueue(session, conversation, changes, note=note)
        if old_line != to_line:
            await dispatch_queue(session, old_line, changes=changes)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation)


@_serialized
async def resolve(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """The operator marks the question solved; the customer may rate it, or write again.
    Again: the conversation as it is; closed: 409 conversation_closed."""
    principal.require_operator(*STAFF_ROLES)
    conversation = await _load(session, principal, conversation_id)
    await _lock(session, conversation)
    if conversation.status == "resolved":
        return await _release(session, conversation)
    if conversation.status == "closed":
        await session.rollback()
        raise Conflict(TEXT_CLOSED, code="conversation_closed")
    if conversation.assigned_operator_id != principal.id and not _is_supervisor(principal):
        await session.rollback()
        raise PermissionDenied(
            "Решить диалог может назначенный оператор или супервизор.", code="not_assigned"
        )
    changes = _Changes()
    conversation.status = "resolved"
    conversation.resolved_at = utcnow()
    changes.changed(conversation, conversation.assigned_operator_id)
    changes.message(await _system(session, conversation, TEXT_RESOLVED), conversation)
    await dispatch_queue(session, conversation.line, changes=changes)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation)


@_serialized
async def close(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """Close for good (the customer, or the assigned operator / a supervisor). Again: the
    closed conversation as it is (200), so that a double click or a retry is not an error."""
    conversation = await _load(session, principal, conversation_id)
    if principal.is_operator:
        principal.require_operator(*STAFF_ROLES)
    await _lock(session, conversation)
    if conversation.status == "closed":  # closed twice: the conversation as it is
        return await _release(session, conversation)
    if (
        principal.is_operator
        and conversation.assigned_operator_id not in (None, principal.id)
        and not _is_supervisor(principal)
    ):
        await session.rollback()
        raise PermissionDenied(
            "Закрыть диалог может назначенный оператор или супервизор.", code="not_assigned"
        )
    changes = _Changes()
    was_assigned = conversation.status == "assigned"
    conversation.status = "closed"
    conversation.closed_at = utcnow()
    changes.changed(conversation, conversation.assigned_operator_id)
    changes.message(await _system(session, conversation, TEXT_CLOSED), conversation)
    if was_assigned:
        await dispatch_queue(session, conversation.line, changes=changes)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation)


@_serialized
async def rate(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    rating: int,
) -> ConversationView:
    """The customer's 1–5 rating of a resolved (or closed) conversation."""
    conversation = await _load(session, principal, conversation_id)
    if principal.is_operator:
        raise PermissionDenied("Оценку ставит покупатель.", code="customers_only")
    if not 1 <= rating <= 5:
        raise InvalidInput("Оценка — от 1 до 5.", code="invalid_rating", fields=["rating"])
    if conversation.status not in ("resolved", "closed"):
        raise Conflict("Оценить можно после того, как вопрос решён.", code="not_resolved")
    conversation.rating = rating
    conversation.updated_at = utcnow()
    changes = _Changes()
    changes.changed(conversation, conversation.assigned_operator_id)
    await session.commit()
    await changes.publish(ctx)
    return _conversation_view(conversation)


@_serialized
async def set_availability(
    session: AsyncSession, ctx: ChatContext, principal: Principal, available: bool
) -> dict[str, Any]:
    """An operator starts or stops taking chats; starting pulls waiting ones from the queue."""
    principal.require_operator(*STAFF_ROLES)
    operator_id = int(principal.id)
    # one switch of an operator at a time: two at once both found no presence row and both
    # inserted one (a 500 on PostgreSQL); SQLite writes are serialised anyway. NO KEY
    # UPDATE: a take or an assignment (a foreign key to the row) does not wait for it
    await session.execute(
        select(Operator.id).where(Operator.id == operator_id).with_for_update(key_share=True)
    )
    presence = await session.get(OperatorPresence, operator_id)
    if presence is None:
        presence = OperatorPresence(operator_id=operator_id, available=available)
        session.add(presence)
    presence.available = available
    presence.updated_at = utcnow()
    await session.flush()
    changes = _Changes()
    if available:
        for line in sorted(await _operator_lines(session, operator_id)):
            await dispatch_queue(session, line, changes=changes)
    await session.commit()
    await changes.publish(ctx)
    return {"available": available}


# --------------------------------------------------------------------------- reading


async def get_conversation(
    session: AsyncSession, principal: Principal, conversation_id: int
) -> ConversationView:
    return _conversation_view(await _load(session, principal, conversation_id))


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    after_seq: int = 0,
    limit: int = MAX_PAGE,
) -> list[MessageView]:
    """Messages after ``after_seq`` in ``seq`` order; customers never see private notes."""
    conversation = await _load(session, principal, conversation_id)
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    rows = await session.scalars(query)
    return [_message_view(m) for m in rows if principal.is_operator or not m.private]


async def list_my_conversations(
    session: AsyncSession, principal: Principal, *, limit: int = 20
) -> list[ConversationView]:
    """The caller's own conversations, newest first."""
    query = select(Conversation).order_by(Conversation.id.desc()).limit(limit)
    if principal.kind == "customer":
        query = query.where(Conversation.customer_id == principal.id)
    elif principal.kind == "visitor":
        query = query.where(Conversation.visitor_id == principal.id)
    else:
        return []
    return [_conversation_view(c) for c in await session.scalars(query)]


async def list_operator_conversations(
    session: AsyncSession, principal: Principal
) -> list[ConversationView]:
    """The conversations assigned to the calling operator that are not closed."""
    principal.require_operator()
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.assigned_operator_id == principal.id,
            Conversation.status.in_(("assigned", "resolved")),
        )
        .order_by(Conversation.updated_at.desc())
    )
    return [_conversation_view(c) for c in rows]


async def list_queue(
    session: AsyncSession,
    principal: Principal,
    line: str,
    *,
    limit: int = QUEUE_PAGE,
    offset: int = 0,
) -> QueuePage:
    """A page of a line's queue, oldest first: each conversation with the detected topic and
    the customer's last message; ``total`` is the length of the whole queue."""
    if line not in {ln.value for ln in Line}:
        raise InvalidInput("Линия: general, travel_priority или seller.", code="invalid_line")
    await _require_line(session, principal, line)
    limit = max(1, min(limit, MAX_QUEUE_PAGE))
    offset = max(0, offset)
    queued = (Conversation.status == "queued", Conversation.line == line)
    total = await session.scalar(select(func.count()).select_from(Conversation).where(*queued))
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(*queued)
            .order_by(Conversation.queued_at, Conversation.id)
            .limit(limit)
            .offset(offset)
        )
    )
    previews: dict[int, str] = {}
    if conversations:
        from_customer = (
            Message.conversation_id.in_([c.id for c in conversations]),
            Message.sender_kind.in_(("customer", "visitor")),
        )
        last = (
            select(Message.conversation_id, func.max(Message.seq).label("seq"))
            .where(*from_customer)
            .group_by(Message.conversation_id)
            .subquery()
        )
        rows = await session.execute(
            select(Message.conversation_id, func.substr(Message.text, 1, PREVIEW_LENGTH)).join(
                last,
                (Message.conversation_id == last.c.conversation_id) & (Message.seq == last.c.seq),
            )
        )
        previews = {conversation_id: text for conversation_id, text in rows}
    return QueuePage(
        line=line,
        total=total or 0,
        limit=limit,
        offset=offset,
        items=[
            QueueItem(conversation=_conversation_view(c), preview=previews.get(c.id))
            for c in conversations
        ],
    )


def new_client_msg_id() -> str:
    return uuid.uuid4().hex


async def replay(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    after_seq: int,
    limit: int = MAX_PAGE,
) -> tuple[list[MessageView], int]:
    """For sockets: the messages after ``after_seq`` the caller may see, and the highest
    ``seq`` looked at (private notes count, so that a customer's socket does not take the
    gaps they leave for missing messages)."""
    conversation = await _load(session, principal, conversation_id)
    rows = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(max(1, min(limit, MAX_PAGE)))
        )
    )
    last = rows[-1].seq if rows else after_seq
    visible = [_message_view(m) for m in rows if principal.is_operator or not m.private]
    return visible, last


check_send = _check_send
"""What a send must be before it touches the database (uploads check before writing)."""
send_refusal = _refusal
"""Why ``principal`` may not write in this conversation now, or None (checked again under
the lock by ``store_message``)."""
