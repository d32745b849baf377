"""Reading conversations: one, a transcript page, the caller's own, an operator's, a line's
queue, and the replay a socket asks for after a reconnect; and the statements that a new
conversation's opening reads with (its owner's lock, their open ones, a retry's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import OPEN_STATUSES
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.store.models import Conversation, Message, Visitor

from ..principals import Principal
from .checks import load, require_line, require_valid_line
from .views import (
    ConversationView,
    MessageView,
    QueueItem,
    QueuePage,
    conversation_view,
    message_view,
)

__all__ = [
    "LOCK_VISITOR",
    "MAX_PAGE",
    "MAX_QUEUE_PAGE",
    "OPEN_OF_CUSTOMER",
    "OPEN_OF_VISITOR",
    "QUEUE_PAGE",
    "SENT_FIRST_BY_CUSTOMER",
    "SENT_FIRST_BY_VISITOR",
    "get_conversation",
    "list_messages",
    "list_my_conversations",
    "list_operator_conversations",
    "list_queue",
    "replay",
]

QUEUE_PAGE = 50
MAX_QUEUE_PAGE = 200
PREVIEW_LENGTH = 200
MAX_PAGE = 1_000

# Statements of every new conversation, built once (building one cost more CPU than
# running it).
# (a row lock changes nothing: no objects of the session to bring up to date; a customer's
# is services.locks.LOCK_CUSTOMER)
LOCK_VISITOR = (
    update(Visitor)
    .where(Visitor.id == bindparam("owner", type_=Visitor.id.type))
    .values(id=Visitor.id)
    .execution_options(synchronize_session=False)
)


def _open_of(owner: Any) -> Any:
    return (
        select(Conversation)
        .where(
            owner == bindparam("owner", type_=owner.type),
            Conversation.line == bindparam("line", type_=Conversation.line.type),
            Conversation.status.in_(OPEN_STATUSES),
        )
        .order_by(Conversation.id.desc())
        .limit(bindparam("max_open", type_=Integer))
    )


OPEN_OF_CUSTOMER = _open_of(Conversation.customer_id)
OPEN_OF_VISITOR = _open_of(Conversation.visitor_id)


def _sent_first_by(owner: Any) -> Any:
    """The owner's conversation holding a message with the ``client_msg_id`` (a retry of
    an opening with its first message)."""
    return (
        select(Conversation)
        .where(
            owner == bindparam("owner", type_=owner.type),
            exists().where(
                Message.conversation_id == Conversation.id,
                Message.client_msg_id
                == bindparam("client_msg_id", type_=Message.client_msg_id.type),
            ),
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )


SENT_FIRST_BY_CUSTOMER = _sent_first_by(Conversation.customer_id)
SENT_FIRST_BY_VISITOR = _sent_first_by(Conversation.visitor_id)


async def get_conversation(
    session: AsyncSession, principal: Principal, conversation_id: int
) -> ConversationView:
    return conversation_view(await load(session, principal, conversation_id))


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    after_seq: int = 0,
    limit: int = MAX_PAGE,
) -> list[MessageView]:
    """Messages after ``after_seq`` in ``seq`` order; customers never see private notes."""
    conversation = await load(session, principal, conversation_id)
    query = (
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    rows = await session.scalars(query)
    return [message_view(m) for m in rows if principal.is_operator or not m.private]


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
    return [conversation_view(c) for c in await session.scalars(query)]


async def list_operator_conversations(
    session: AsyncSession, principal: Principal
) -> list[ConversationView]:
    """The conversations assigned to the calling operator that are not closed."""
    principal.require_operator()
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.assigned_operator_id == principal.id,
            Conversation.status.in_((S.ASSIGNED, S.RESOLVED)),
        )
        .order_by(Conversation.updated_at.desc())
    )
    return [conversation_view(c) for c in rows]


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
    require_valid_line(line)
    await require_line(session, principal, line)
    limit = max(1, min(limit, MAX_QUEUE_PAGE))
    offset = max(0, offset)
    queued = (Conversation.status == S.QUEUED, Conversation.line == line)
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
            QueueItem(conversation=conversation_view(c), preview=previews.get(c.id))
            for c in conversations
        ],
    )


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
    conversation = await load(session, principal, conversation_id)
    rows = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(max(1, min(limit, MAX_PAGE)))
        )
    )
    last = rows[-1].seq if rows else after_seq
    visible = [message_view(m) for m in rows if principal.is_operator or not m.private]
    return visible, last
