"""A conversation's life: the bot first, then an operator of the conversation's line.

Seed 002: «Сперва там будет отвечать бот … если он помочь в решении вопроса не сможет, то на
помощь придет реальный сотрудник»; «Обычно вам напишут в течение 1-3 минут»; Travel's
priority line; seller support with a topic, a sub-topic and a ticket number.

Statuses: bot → queued → assigned → resolved → closed. A new customer message reopens a
resolved conversation (back to its operator, or to the queue: :mod:`.sending`); a closed one
stays closed.

Every write is one function here that checks (who may, what state allows), does (in one
transaction, under the SQLite write lock) and records its changes with
:func:`.events.changes_for`, which publishes them after the commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from marketdesk.bot.core import FirstRead
from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import LINE_TITLES_RU, Line, route_line
from marketdesk.domain.ratings import (
    COMMENT_MAX_CHARS,
    DEFAULT_LOW_RATING,
    is_low,
    is_valid_rating,
)
from marketdesk.domain.tasks import SELLER_SUPPORT_TOPICS, is_valid_seller_topic
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import (
    Conversation,
    Operator,
    OperatorPresence,
    TravelProfile,
    utcnow,
)
from marketdesk.store.rows import insert_adopted_row
from marketdesk.store.transactions import serialized, sqlite_write_lock

from .. import chat_access as access
from .. import webhooks
from ..errors import (
    AlreadyRated,
    AtCapacity,
    ConversationClosed,
    CustomerCallsOperator,
    CustomerRates,
    CustomerStartsConversation,
    InvalidRating,
    InvalidSellerTopic,
    InvalidTransferTarget,
    NotAssignedToClose,
    NotAssignedToResolve,
    NotAssignedToTransfer,
    NotQueued,
    NotResolved,
    NotTransferable,
    OperatorNotFound,
    OperatorNotOnLine,
    RatingCommentTooLong,
    SellerChatByTransfer,
    SellerChatOpensFromProduct,
    SellerTopicRequired,
    TargetAtCapacity,
)
from ..locks import LOCK_CUSTOMER
from ..principals import Principal
from ..ratings import open_review
from ..webhooks.payloads import conversation_data, rating_data
from . import sla
from .assignment import assign, assign_lock, dispatch_queue, enqueue, has_room
from .checks import (
    STAFF_ROLES,
    check_send,
    is_supervisor,
    load,
    move_to,
    not_found,
    operator_lines,
    require_line,
    require_valid_line,
    validate_text,
)
from .context import ChatContext
from .events import changes_for
from .first_contact import open_with_question
from .queries import (
    LOCK_VISITOR,
    OPEN_OF_CUSTOMER,
    OPEN_OF_VISITOR,
    SENT_FIRST_BY_CUSTOMER,
    SENT_FIRST_BY_VISITOR,
)
from .sending import OutgoingMessage, SendRequest, send, store_one
from .texts import (
    TEXT_CLOSED,
    TEXT_QUEUED,
    TEXT_RESOLVED,
    TEXT_TICKET,
    TEXT_TRANSFERRED_LINE,
    TEXT_TRANSFERRED_OPERATOR,
)
from .transcript import numbered_in_memory, system_note
from .views import ConversationView, SendResult, conversation_view

__all__ = [
    "adopt_visitor_conversations",
    "close",
    "first_read",
    "open_first_conversation",
    "rate",
    "request_operator",
    "resolve",
    "seller_topics",
    "set_availability",
    "start_conversation",
    "start_conversation_with_message",
    "take",
    "transfer",
]


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
    conversations are counted and created one request at a time. On SQLite nothing: the
    write lock, which the callers hold for their whole body (``serialized``), orders them
    already (a statement fewer on the path that opens a conversation)."""
    if sqlite_write_lock(session.get_bind()) is not None:
        return
    if principal.kind == "customer":
        await session.execute(LOCK_CUSTOMER, {"customer_id": int(principal.id)})
    else:
        await session.execute(LOCK_VISITOR, {"owner": str(principal.id)})


@serialized
async def start_conversation(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    line: str = Line.GENERAL,
    seller_topic: str | None = None,
    seller_subtopic: str | None = None,
    max_open: int | None = None,
    channel: Channel = Channel.WEB,
    channel_contact_id: int | None = None,
) -> tuple[ConversationView, bool]:
    """A customer or visitor opens a conversation; the bot answers first. With ``max_open``
    conversations of the caller already open on that line (not resolved or closed), no new
    one is made: the most recent open one is returned (the widget simply goes on with it).
    ``channel`` and ``channel_contact_id``: where the customer writes from, outside the web
    chat (``services.channels``). → (the conversation, whether it is new)."""
    conversation, created, _ = await _open(
        session,
        ctx,
        principal,
        line=line,
        seller_topic=seller_topic,
        seller_subtopic=seller_subtopic,
        max_open=max_open,
        channel=channel,
        channel_contact_id=channel_contact_id,
    )
    await session.commit()
    return conversation_view(conversation), created


async def start_conversation_with_message(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    client_msg_id: str,
    text: str,
    line: str = Line.GENERAL,
    seller_topic: str | None = None,
    seller_subtopic: str | None = None,
    max_open: int | None = None,
) -> tuple[ConversationView, bool, SendResult]:
    """The widget's first message: the conversation opened (as :func:`start_conversation`)
    and the message sent (as :func:`.sending.send`) in one request. A new conversation, its
    first message and the bot's answer are one transaction: a refused message leaves no
    conversation behind. Where an open conversation is returned instead (``max_open``), the
    message goes to it as any other; a retry with the same ``client_msg_id`` is answered
    with the message stored before. → (the conversation after the message, whether it is
    new, the sent message)."""
    check_send(principal, client_msg_id, text, False)
    read = first_read(ctx, text, line)  # before the write lock
    # a visitor's question that the bot answers: one transaction script (.first_contact)
    contact = await open_with_question(
        session,
        ctx,
        principal,
        line=line,
        client_msg_id=client_msg_id,
        text=text,
        read=read,
        max_open=max_open,
    )
    if contact is not None:
        return contact.conversation, True, contact.sent
    view, sent = await _open_with_first_message(
        session,
        ctx,
        principal,
        client_msg_id=client_msg_id,
        text=text,
        line=line,
        seller_topic=seller_topic,
        seller_subtopic=seller_subtopic,
        max_open=max_open,
        read=read,
    )
    if sent is not None:
        return view, True, sent
    # an open one already: the message is sent as any other (through the writer, outside
    # the SQLite write lock, which the writer takes itself)
    message = OutgoingMessage(conversation_id=view.id, client_msg_id=client_msg_id, text=text)
    result = await send(ctx, principal, message, session=session)
    return result.conversation or view, False, result


@serialized
async def open_first_conversation(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    line: str = Line.GENERAL,
    seller_topic: str | None = None,
    seller_subtopic: str | None = None,
    client_msg_id: str | None = None,
    text: str = "",
    read: FirstRead | None = None,
) -> tuple[ConversationView, SendResult | None]:
    """The first conversation of a visitor whose rows the caller has just written in this
    transaction (``services.visitors``): nothing of theirs to look for (no open one, no
    retry), so the conversation is opened and, with ``client_msg_id``, its first message
    (``text``) sent, the bot answering, all committed together with the visitor. A refusal
    raises with nothing committed: the caller's transaction, the visitor with it, is rolled
    back. ``read``: the bot's reading of the message, worked out before the lock
    (:func:`first_read`). → (the conversation after the message, the sent message or
    None)."""
    if client_msg_id is not None:
        check_send(principal, client_msg_id, text, False)
    conversation, _, reserved = await _open(
        session,
        ctx,
        principal,
        line=line,
        seller_topic=seller_topic,
        seller_subtopic=seller_subtopic,
        max_open=None,
        owner_locked=True,
        first_message=client_msg_id is not None,
    )
    if client_msg_id is None:
        await session.commit()
        return conversation_view(conversation), None
    message = OutgoingMessage(conversation.id, client_msg_id, text)
    return await _send_first(session, ctx, principal, conversation, reserved, message, read)


def first_read(ctx: ChatContext, text: str, line: str) -> FirstRead | None:
    """The bot's reading of a message (``Bot.read``), for a caller to work out before the
    write lock is taken (a conversation's first message; the chat writer's send to a
    conversation the bot holds): the lock is then held for the dialogue's turn only, not for
    the search of the articles. None without a bot or a text. On another line than the
    conversation is on by then (a Travel line the customer has no right to), the turn reads
    the text again."""
    if ctx.bot is None or not text.strip():
        return None
    return ctx.bot.read(text, in_conversation=True, line=line)


@serialized
async def _open_with_first_message(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    client_msg_id: str,
    text: str,
    line: str,
    seller_topic: str | None,
    seller_subtopic: str | None,
    max_open: int | None,
    read: FirstRead | None = None,
) -> tuple[ConversationView, SendResult | None]:
    """The new conversation with its first message (committed by ``store_one``), or the
    open one that was there already, or the one a retry of this request made (committed,
    nothing sent: None)."""
    if principal.kind not in ("customer", "visitor"):
        raise CustomerStartsConversation()
    await _lock_owner(session, principal)
    customer = principal.kind == "customer"
    made_before = (
        await session.scalars(
            SENT_FIRST_BY_CUSTOMER if customer else SENT_FIRST_BY_VISITOR,
            {
                "owner": int(principal.id) if customer else str(principal.id),
                "client_msg_id": client_msg_id,
            },
        )
    ).first()
    if made_before is not None:  # a retry: the message is answered as stored before
        await session.commit()
        return conversation_view(made_before), None
    conversation, created, reserved = await _open(
        session,
        ctx,
        principal,
        line=line,
        seller_topic=seller_topic,
        seller_subtopic=seller_subtopic,
        max_open=max_open,
        owner_locked=True,
        first_message=True,
    )
    if not created:
        await session.commit()
        return conversation_view(conversation), None
    message = OutgoingMessage(conversation.id, client_msg_id, text)
    return await _send_first(session, ctx, principal, conversation, reserved, message, read)


async def _send_first(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation: Conversation,
    reserved: Any,
    message: OutgoingMessage,
    read: FirstRead | None,
) -> tuple[ConversationView, SendResult]:
    """A new conversation's first message, in the transaction that made it (``reserved``:
    its row with the message's number kept, from ``_open``); committed by ``store_one``.
    → (the conversation after the message, the sent message)."""
    request = SendRequest(ctx, principal, message, read=read)
    sent = await store_one(session, request, reserved=reserved)
    return sent.conversation or conversation_view(conversation), sent


async def _open(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    *,
    line: str,
    seller_topic: str | None,
    seller_subtopic: str | None,
    max_open: int | None,
    channel: Channel = Channel.WEB,
    channel_contact_id: int | None = None,
    owner_locked: bool = False,
    first_message: bool = False,
) -> tuple[Conversation, bool, Any]:
    """:func:`start_conversation` without the commit (``owner_locked``: the caller holds
    the owner's row lock already). With ``first_message`` a new conversation's first number
    is kept for the message the caller sends next (``sending.store_one``'s ``reserved``),
    unless a note comes first (the seller line's ticket). → (the conversation, whether new,
    its row as inserted when its first number is kept, else None)."""
    if principal.kind not in ("customer", "visitor"):
        raise CustomerStartsConversation()
    require_valid_line(line, field="line")
    if line == Line.SELLER_CHAT:  # it opens from a product or an order (``sellers``)
        raise SellerChatOpensFromProduct()
    if line == Line.SELLER:
        if not seller_topic or not seller_subtopic:
            raise SellerTopicRequired()
        if not is_valid_seller_topic(seller_topic, seller_subtopic):
            raise InvalidSellerTopic()
    actual = await _customer_line(session, principal, line)
    if max_open is not None:
        if not owner_locked:
            await _lock_owner(session, principal)
        customer = principal.kind == "customer"
        open_ones = list(
            await session.scalars(
                OPEN_OF_CUSTOMER if customer else OPEN_OF_VISITOR,
                {
                    "owner": int(principal.id) if customer else str(principal.id),
                    "line": actual,
                    "max_open": max_open,
                },
            )
        )
        if len(open_ones) >= max_open:
            return open_ones[0], False, None
    now = utcnow()
    reserve = first_message and actual != Line.SELLER
    conversation, row = await insert_adopted_row(  # one statement, not the unit of work
        session,
        Conversation,
        {
            "customer_id": int(principal.id) if principal.kind == "customer" else None,
            "visitor_id": str(principal.id) if principal.kind == "visitor" else None,
            "line": actual,
            "channel": channel.value,
            "channel_contact_id": channel_contact_id,
            "status": S.BOT.value,
            "last_seq": 1 if reserve else 0,
            "extra": {"requested_line": line} if actual != line else {},
            "seller_topic": seller_topic if actual == Line.SELLER else None,
            "seller_subtopic": seller_subtopic if actual == Line.SELLER else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    numbered_in_memory(session, conversation)  # made here: numbered in memory
    changes = changes_for(session, ctx.publish)
    if actual == Line.SELLER:
        conversation.ticket_number = f"S-{now:%Y}-{conversation.id:07d}"
        await session.flush()
    # the conversation's event before those of its first messages (the ticket's note)
    await webhooks.emit(
        session, WebhookEvent.CONVERSATION_CREATED, lambda: conversation_data(conversation)
    )
    if actual == Line.SELLER:
        note = TEXT_TICKET.format(
            ticket=conversation.ticket_number, topic=seller_topic, subtopic=seller_subtopic
        )
        await system_note(session, changes, conversation, note)
    return conversation, True, row if reserve else None


@serialized
async def request_operator(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """«Позвать оператора»: the bot steps aside and the conversation joins its line's queue.
    Again (queued, or with an operator already): the conversation as it is; closed: 409."""
    conversation = await load(session, principal, conversation_id)
    if principal.is_operator:
        raise CustomerCallsOperator()
    if conversation.status == S.CLOSED:
        raise ConversationClosed()
    if conversation.status not in (S.BOT, S.RESOLVED):
        return conversation_view(conversation)  # already waiting or with an operator
    changes = changes_for(session, ctx.publish)
    await _lock(session, conversation)
    if conversation.status in (S.BOT, S.RESOLVED):
        await enqueue(session, changes, conversation, note=TEXT_QUEUED)
    await session.commit()
    return conversation_view(conversation)


async def _lock(session: AsyncSession, conversation: Conversation) -> None:
    """Row lock and fresh state, without using a sequence number."""
    row = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(updated_at=utcnow())
            .returning(*(getattr(Conversation, name) for name in _LOCKED))
            .execution_options(synchronize_session=False)
        )
    ).one()
    for name, value in zip(_LOCKED, row, strict=True):
        set_committed_value(conversation, name, value)


_LOCKED = (
    "status",
    "assigned_operator_id",
    "line",
    "last_seq",
    "first_response_at",
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "escalated_at",
    "escalation_due_at",
)


async def _release(session: AsyncSession, conversation: Conversation) -> ConversationView:
    """Nothing to change after all: the conversation as it is under the lock, then the
    transaction rolled back (the row lock released). The view is taken first: a rollback
    expires every loaded attribute, and reading one afterwards would be lazy I/O outside
    the async driver's greenlet (``MissingGreenlet``, a 500 on a repeated or raced call)."""
    view = conversation_view(conversation)
    await session.rollback()
    return view


@serialized
async def take(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """An operator takes a queued conversation of their line by hand (within capacity).
    Again, by the one who has it: the conversation as it is; anyone else: 409 not_queued."""
    principal.require_operator(*STAFF_ROLES)
    conversation = await load(session, principal, conversation_id)
    await require_line(session, principal, conversation.line)
    operator = await session.get(Operator, int(principal.id))
    if operator is None:
        raise not_found(conversation_id)
    await _lock(session, conversation)
    await assign_lock(session)
    if conversation.status != S.QUEUED:
        state = (conversation.status, conversation.assigned_operator_id)
        view = await _release(session, conversation)
        if state == (S.ASSIGNED, int(principal.id)):  # taken twice (a double click, a retry)
            return view
        raise NotQueued()
    if not await has_room(session, operator):
        capacity = operator.chat_capacity
        await _release(session, conversation)
        raise AtCapacity(capacity=capacity)
    changes = changes_for(session, ctx.publish)
    await assign(session, changes, conversation, operator.id)
    await session.commit()
    return conversation_view(conversation)


@serialized
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
        raise InvalidTransferTarget(fields=["to"])
    if to_line is not None:
        require_valid_line(to_line)
        if to_line == Line.SELLER_CHAT:  # a seller is brought in by ``sellers.bring_seller``
            raise SellerChatByTransfer(fields=["to_line"])
    conversation = await load(session, principal, conversation_id)
    await _lock(session, conversation)
    if conversation.status not in (S.QUEUED, S.ASSIGNED):
        await session.rollback()
        raise NotTransferable()
    if (to_operator_id is not None and to_operator_id == conversation.assigned_operator_id) or (
        to_line == conversation.line and conversation.status == S.QUEUED
    ):  # transferred twice (a double click, a retry): already where it was sent
        return await _release(session, conversation)
    if conversation.assigned_operator_id != principal.id and not is_supervisor(principal):
        await session.rollback()
        raise NotAssignedToTransfer()
    changes = changes_for(session, ctx.publish)
    if to_operator_id is not None:
        target = await session.get(Operator, to_operator_id)
        if target is None or not target.is_active:
            await session.rollback()
            raise OperatorNotFound()
        lines = await operator_lines(session, target.id)
        if conversation.line not in lines:
            await session.rollback()
            raise OperatorNotOnLine()
        await assign_lock(session)
        if not await has_room(session, target):
            await session.rollback()
            raise TargetAtCapacity()
        previous = conversation.assigned_operator_id
        move_to(conversation, S.ASSIGNED)
        conversation.assigned_operator_id = target.id
        await access.record_operator(session, conversation.id, target.id)
        changes.changed(conversation, previous)
        await system_note(session, changes, conversation, TEXT_TRANSFERRED_OPERATOR)
        if previous is not None:
            await dispatch_queue(session, changes, conversation.line)
    else:
        assert to_line is not None
        old_line = conversation.line
        changes.changed(conversation, conversation.assigned_operator_id)
        conversation.line = to_line
        note = TEXT_TRANSFERRED_LINE.format(line=LINE_TITLES_RU[Line(to_line)])
        await enqueue(session, changes, conversation, note=note)
        if old_line != to_line:
            await dispatch_queue(session, changes, old_line)
    await session.commit()
    return conversation_view(conversation)


@serialized
async def resolve(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """The operator marks the question solved; the customer may rate it, or write again.
    Again: the conversation as it is; closed: 409 conversation_closed."""
    principal.require_operator(*STAFF_ROLES)
    conversation = await load(session, principal, conversation_id)
    await _lock(session, conversation)
    if conversation.status == S.RESOLVED:
        return await _release(session, conversation)
    if conversation.status == S.CLOSED:
        await session.rollback()
        raise ConversationClosed()
    if conversation.assigned_operator_id != principal.id and not is_supervisor(principal):
        await session.rollback()
        raise NotAssignedToResolve()
    changes = changes_for(session, ctx.publish)
    move_to(conversation, S.RESOLVED)
    conversation.resolved_at = utcnow()
    await sla.settle(session, conversation, conversation.resolved_at)
    changes.changed(conversation, conversation.assigned_operator_id)
    await webhooks.emit(
        session, WebhookEvent.CONVERSATION_RESOLVED, lambda: conversation_data(conversation)
    )
    await system_note(session, changes, conversation, TEXT_RESOLVED)
    await dispatch_queue(session, changes, conversation.line)
    await session.commit()
    return conversation_view(conversation)


@serialized
async def close(
    session: AsyncSession, ctx: ChatContext, principal: Principal, conversation_id: int
) -> ConversationView:
    """Close for good (the customer, or the assigned operator / a supervisor). Again: the
    closed conversation as it is (200), so that a double click or a retry is not an error."""
    conversation = await load(session, principal, conversation_id)
    if principal.is_operator:
        principal.require_operator(*STAFF_ROLES)
    await _lock(session, conversation)
    if conversation.status == S.CLOSED:  # closed twice: the conversation as it is
        return await _release(session, conversation)
    if (
        principal.is_operator
        and conversation.assigned_operator_id not in (None, principal.id)
        and not is_supervisor(principal)
    ):
        await session.rollback()
        raise NotAssignedToClose()
    changes = changes_for(session, ctx.publish)
    was_assigned = conversation.status == S.ASSIGNED
    move_to(conversation, S.CLOSED)
    conversation.closed_at = utcnow()
    await sla.settle(session, conversation, conversation.closed_at)
    changes.changed(conversation, conversation.assigned_operator_id)
    await system_note(session, changes, conversation, TEXT_CLOSED)
    if was_assigned:
        await dispatch_queue(session, changes, conversation.line)
    await session.commit()
    return conversation_view(conversation)


@serialized
async def rate(
    session: AsyncSession,
    ctx: ChatContext,
    principal: Principal,
    conversation_id: int,
    rating: int,
    comment: str | None = None,
    *,
    low_rating: int = DEFAULT_LOW_RATING,
) -> ConversationView:
    """The customer's 1–5 rating of a resolved (or closed) conversation, with an optional
    comment (at most ``domain.ratings.COMMENT_MAX_CHARS`` characters), once: the same
    rating and comment again is a retry and answered with the conversation as it is, another
    one is 409 ``already_rated``. A rating at or below ``low_rating`` opens a review for the
    supervisors (``services.ratings``) in the same transaction."""
    conversation = await load(session, principal, conversation_id)
    if principal.is_operator:
        raise CustomerRates()
    if not is_valid_rating(rating):
        raise InvalidRating(fields=["rating"])
    comment = (comment or "").strip() or None
    if comment is not None:
        if len(comment) > COMMENT_MAX_CHARS:
            raise RatingCommentTooLong(limit=COMMENT_MAX_CHARS, fields=["comment"])
        validate_text(comment)
    await _lock(session, conversation)
    if conversation.status not in (S.RESOLVED, S.CLOSED):
        await session.rollback()
        raise NotResolved()
    rated = (
        await session.execute(
            select(Conversation.rating, Conversation.rating_comment).where(
                Conversation.id == conversation.id
            )
        )
    ).one()
    if rated.rating is not None:
        if (rated.rating, rated.rating_comment) == (rating, comment):
            set_committed_value(conversation, "rating", rated.rating)
            return await _release(session, conversation)
        await session.rollback()
        raise AlreadyRated()
    conversation.rating = rating
    conversation.rating_comment = comment
    conversation.rated_at = conversation.updated_at = utcnow()
    if is_low(rating, low_rating):
        await open_review(session, conversation)
    changes = changes_for(session, ctx.publish)
    changes.changed(conversation, conversation.assigned_operator_id)
    await webhooks.emit(session, WebhookEvent.RATING_CREATED, lambda: rating_data(conversation))
    await session.commit()
    return conversation_view(conversation)


@serialized
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
    changes = changes_for(session, ctx.publish)
    if available:
        for line in sorted(await operator_lines(session, operator_id)):
            await dispatch_queue(session, changes, line)
    await session.commit()
    return {"available": available}


async def adopt_visitor_conversations(
    session: AsyncSession, visitor_id: str, customer_id: int
) -> list[int]:
    """A visitor logged in: their conversations without a customer become the customer's
    (inside the caller's transaction; their sockets hear of it after the commit). → the
    conversations' ids."""
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.visitor_id == visitor_id, Conversation.customer_id.is_(None))
            .order_by(Conversation.id)
            .with_for_update()
        )
    )
    changes = changes_for(session)
    for conversation in conversations:
        conversation.customer_id = customer_id
        changes.changed(conversation, conversation.assigned_operator_id)
    await session.flush()
    return [c.id for c in conversations]
