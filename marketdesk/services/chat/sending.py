"""The one door for a message into a conversation: :func:`send`.

Every sender calls it: the REST routes, both sockets, the console, attachments, and the
channels and the bot's actions to come. A message is an :class:`OutgoingMessage`; the caller
says who sends it. ``send`` checks it (the text, the key, who may write in the
conversation's present state), runs the privacy guard on what an operator sends to a
customer inside the message's own transaction (captions of attachments included), stores
it through the server's group-commit writer when there is one (:mod:`.writer`) or in a
transaction of its own, lets the conversation move on (the bot answers; a customer's message
reopens a resolved conversation) and publishes the live events after the commit.

Delivery: a message is committed before ``send`` returns. ``client_msg_id`` makes a send
idempotent: a retry is answered with the message stored before (``duplicate``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot.core import FirstRead
from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.models import Attachment, Conversation, Operator, utcnow
from marketdesk.store.rows import write_changes
from marketdesk.store.transactions import serialized

from .. import chat_access as access
from .. import webhooks
from ..errors import ClientMsgIdTaken
from ..principals import Principal
from ..webhooks.payloads import message_data
from . import follow_up, outbound, sla
from .assignment import enqueue
from .bot_turn import after_turn, bot_turn
from .checks import check_send, load, move_to, not_found, seller_chat_refusal, send_refusal
from .context import ChatContext, GuardObjected, TextGuard
from .events import Changes, changes_for
from .guard import GuardResult, passes_guard, refuse_disclosure, verdict_for_conversation
from .texts import TEXT_QUEUED, TEXT_REOPENED
from .transcript import (
    append,
    find_stored,
    held_conversation,
    insert_row,
    lock_for_message,
    numbered_in_memory,
    system_note,
)
from .views import MessageView, SendResult, conversation_view, message_view

__all__ = [
    "NewAttachment",
    "OutgoingMessage",
    "SendRequest",
    "find_sent",
    "preview",
    "send",
    "sent_extra",
    "store_one",
]


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A file already written to the attachment store, to go out with its message (its row
    commits with the message, or not at all)."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message for a conversation: ``client_msg_id`` is the sender's idempotency key;
    ``private``: a note for the team only; ``channel``: where it came in."""

    conversation_id: int
    client_msg_id: str
    text: str
    private: bool = False
    attachments: tuple[NewAttachment, ...] = ()
    channel: Channel = Channel.WEB


@dataclass(slots=True)
class SendRequest:
    """A message on its way to the writer: who sends it, and the guard it must pass."""

    ctx: ChatContext
    principal: Principal
    message: OutgoingMessage
    guard: TextGuard | None = None
    read: FirstRead | None = None  # the bot's reading of the text, before the lock


def _guard_for(principal: Principal, message: OutgoingMessage) -> TextGuard | None:
    """What an operator sends to a customer passes the privacy guard; notes and customers'
    messages do not."""
    return passes_guard if principal.is_operator and not message.private else None


async def send(
    ctx: ChatContext,
    who: Principal,
    message: OutgoingMessage,
    *,
    session: AsyncSession | None = None,
) -> SendResult:
    """Send ``message`` as ``who`` (see the module's docstring). ``session``: the caller's,
    if it has one; it may have been used for reads (they end here, so that no connection is
    held while the message waits for its batch) and must not carry uncommitted writes.
    Without one, a session is opened on ``ctx.database`` only if the message cannot go
    through the writer. Refusals raise :class:`marketdesk.services.errors.ServiceError`s
    (422 ``privacy_violation`` with the reasons when the guard objects)."""
    _check(who, message)
    request = SendRequest(ctx, who, message, _guard_for(who, message))
    if session is not None:
        return await _send_with(session, request)
    if _may_batch(request, None):  # the sockets' path: no session at all
        try:
            return await _submit(request)
        except GuardObjected:
            async with _database(ctx).sessions() as own:
                return await _after_objection(own, request)
    async with _database(ctx).sessions() as own:
        return await _send_with(own, request)


def _database(ctx: ChatContext) -> Database:
    if ctx.database is None:
        raise RuntimeError("send without a session needs ctx.database")
    return ctx.database


def _check(who: Principal, message: OutgoingMessage) -> None:
    """What a send must be before it touches the database (a file needs no caption)."""
    check_send(
        who,
        message.client_msg_id,
        message.text,
        message.private,
        allow_empty=bool(message.attachments),
    )


def _may_batch(request: SendRequest, session: AsyncSession | None) -> bool:
    pending = session is not None and bool(session.new or session.dirty or session.deleted)
    return request.ctx.writer is not None and not request.message.attachments and not pending


async def _submit(request: SendRequest) -> SendResult:
    writer = request.ctx.writer
    assert writer is not None
    return await writer.submit(request)


async def _send_with(session: AsyncSession, request: SendRequest) -> SendResult:
    try:
        if _may_batch(request, session):
            if session.in_transaction():
                await session.rollback()
            return await _submit(request)
        return await store_one(session, request)
    except GuardObjected:
        return await _after_objection(session, request)


async def _after_objection(session: AsyncSession, request: SendRequest) -> SendResult:
    """The guard objected to a reply: refuse it with the reasons; or, if it is a retry of
    a stored message or the guard's facts changed in between, store it after all."""
    message = request.message
    verdict = await verdict_for_conversation(session, message.conversation_id, message.text)
    if not verdict.ok:
        retried = await find_sent(
            session, request.principal, message.conversation_id, message.client_msg_id
        )
        if retried is not None:  # a retry of a message that passed: the guard was changed since
            return retried
        await refuse_disclosure(session, request.principal, message.conversation_id, verdict)
    return await store_one(session, SendRequest(request.ctx, request.principal, message))


async def preview(
    ctx: ChatContext, who: Principal, message: OutgoingMessage, *, session: AsyncSession
) -> GuardResult:
    """:func:`send` as a dry run: the same checks and the guard's verdict with its reasons,
    nothing stored. Raises what ``send`` would refuse with before the guard (an empty or
    too long text, a conversation the caller may not read or write in)."""
    _check(who, message)
    conversation = await load(session, who, message.conversation_id)
    refusal = send_refusal(who, conversation, message.private) or seller_chat_refusal(
        conversation, message.text, message.private
    )
    if refusal is not None:
        raise refusal
    if _guard_for(who, message) is None or not message.text.strip():
        return GuardResult(ok=True, violations=[], message=None)
    return await verdict_for_conversation(session, message.conversation_id, message.text)


async def find_sent(
    session: AsyncSession, principal: Principal, conversation_id: int, client_msg_id: str
) -> SendResult | None:
    """The message already stored under ``client_msg_id`` (a retry), if any."""
    found = await find_stored(session, conversation_id, client_msg_id)
    return None if found is None else _duplicate(message_view(found), found.sender_id, principal)


def _duplicate(view: MessageView, sender_id: str | None, principal: Principal) -> SendResult:
    if sender_id != str(principal.id) or (
        (view.sender_kind == "operator") != principal.is_operator
    ):
        raise ClientMsgIdTaken()
    return SendResult(message=view, duplicate=True)


@serialized
async def store_one(
    session: AsyncSession, request: SendRequest, *, reserved: Any = None
) -> SendResult:
    """Store a message in a transaction of its own (once per ``client_msg_id``) and let the
    conversation move on: the bot answers while it has the conversation; a customer's
    message reopens a resolved one.

    The hot path is three statements: ``UPDATE … last_seq + 1 … RETURNING`` (the row lock,
    the sequence number and the state to decide on), ``INSERT … RETURNING``, ``COMMIT``. A
    retry is caught by the unique constraint and answered with the stored message. The
    guard runs under the lock; when it objects nothing is stored and
    :class:`GuardObjected` is raised (unless it is a retry of a stored message).

    ``reserved``: the row of a conversation this transaction has just made with the
    message's number kept (``lifecycle._open``), used instead of the lock's statement."""
    ctx, principal, message = request.ctx, request.principal, request.message
    conversation_id = message.conversation_id
    if reserved is None and follow_up.may_go_unlocked(session, request):
        answered = await follow_up.answer_unlocked(session, ctx, request)
        if answered is not None:
            return answered
    changes = changes_for(session, ctx.publish)
    try:
        locked = (
            reserved if reserved is not None else await lock_for_message(session, conversation_id)
        )
        if locked is None or not await access.may_read(session, principal, locked):
            await session.rollback()
            raise not_found(conversation_id)
        refusal = await _refusal_under_lock(session, request, locked)
        if refusal is not None:  # nothing is stored; a retry of a stored message is answered
            await session.rollback()
            retried = await find_sent(session, principal, conversation_id, message.client_msg_id)
            if retried is not None:
                return retried
            raise refusal
        if reserved is None and follow_up.applies(ctx, principal, message, locked):
            return await follow_up.answer(session, ctx, request, locked)  # (commits)
        stored = await _insert(session, principal, message, locked.last_seq)
        await outbound.queue(session, stored, locked.channel)
        await webhooks.emit(
            session, WebhookEvent.MESSAGE_CREATED, partial(message_data, stored, locked)
        )
        moves = not principal.is_operator and (
            locked.status == S.RESOLVED or (locked.status == S.BOT and ctx.bot is not None)
        )
        if not moves:  # the common case: three statements and the commit
            after = await _clocks_after(session, principal, message, locked)
            changes.message(stored, locked, after)
            await session.commit()
            return SendResult(message=stored, view_of=partial(conversation_view, after or locked))
        changes.message(stored, locked)
        replies, conversation = await _move_on(session, ctx, changes, locked, message, request.read)
        await write_changes(session, conversation)  # one UPDATE, not the flush's work
        await session.commit()
    except IntegrityError:
        # a retry, or two identical sends at once: the message is already stored
        await session.rollback()
        found = await find_sent(session, principal, conversation_id, message.client_msg_id)
        if found is None:
            raise
        return found
    return SendResult(message=stored, replies=replies, conversation=conversation_view(conversation))


async def _clocks_after(
    session: AsyncSession, principal: Principal, message: OutgoingMessage, locked: Any
) -> Any:
    """The service-level clocks a plain message starts or stops (:mod:`.sla`). → the
    conversation after the message if they changed (published with the message), or None."""
    changed = await sla.after_message(
        session,
        locked,
        from_operator=principal.is_operator,
        private=message.private,
        now=utcnow(),
    )
    return sla.merged(locked, changed) if changed else None


def sent_extra(principal: Principal, message: OutgoingMessage) -> dict[str, Any]:
    """A sent message's ``extra``: the operator's name; the channel, if not the web chat."""
    extra: dict[str, Any] = {}
    if principal.is_operator:
        extra["sender_name"] = principal.name
    if message.channel != Channel.WEB:
        extra["channel"] = str(message.channel)
    return extra


async def _insert(
    session: AsyncSession, principal: Principal, message: OutgoingMessage, seq: int
) -> MessageView:
    """The message row (and its attachments' rows, linked to it, in the same transaction)."""
    extra = sent_extra(principal, message)
    attachment_ids: list[int] = []
    if message.attachments:
        attachment_ids = await _insert_attachments(session, principal, message)
        extra["attachments"] = [
            {"id": i, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for i, a in zip(attachment_ids, message.attachments, strict=True)
        ]
    stored = await insert_row(
        session,
        message.conversation_id,
        seq=seq,
        sender_kind="operator" if principal.is_operator else principal.kind,
        sender_id=str(principal.id),
        client_msg_id=message.client_msg_id,
        text=message.text,
        private=message.private,
        extra=extra,
    )
    if attachment_ids:
        await session.execute(
            update(Attachment)
            .where(Attachment.id.in_(attachment_ids))
            .values(message_id=stored.id)
            .execution_options(synchronize_session=False)
        )
    return stored


async def _insert_attachments(
    session: AsyncSession, principal: Principal, message: OutgoingMessage
) -> list[int]:
    now = utcnow()
    rows = [
        {
            "conversation_id": message.conversation_id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "uploader_kind": principal.kind,
            "uploader_id": str(principal.id),
            "created_at": now,
        }
        for a in message.attachments
    ]
    ids: list[int] = []
    for row in rows:  # one by one: a few files at most, and the ids come back in order
        attachment_id = await session.scalar(
            insert(Attachment).values(**row).returning(Attachment.id)
        )
        assert attachment_id is not None
        ids.append(int(attachment_id))
    return ids


async def _refusal_under_lock(
    session: AsyncSession, request: SendRequest, locked: Any
) -> Exception | None:
    """Why the message may not be stored (checked under the row lock), or None."""
    refusal = send_refusal(request.principal, locked, request.message.private)
    guard, text = request.guard, request.message.text
    if refusal is None:
        refusal = seller_chat_refusal(locked, text, request.message.private)
    if (
        refusal is None
        and guard is not None
        and text.strip()
        and not await session.run_sync(
            lambda sync: guard(sync.connection(), locked.customer_id, text)
        )
    ):
        refusal = GuardObjected()
    return refusal


async def _move_on(
    session: AsyncSession,
    ctx: ChatContext,
    changes: Changes,
    locked: Any,
    message: OutgoingMessage,
    read: FirstRead | None = None,
) -> tuple[list[MessageView], Conversation]:
    """After a customer's message: a resolved conversation reopens; the bot answers while it
    has the conversation. ``locked``: the conversation's row as the message's lock returned
    it. → (the replies, the conversation)."""
    conversation = held_conversation(session, locked._mapping)
    # the row is this transaction's since the lock: the bot's answer and the notes are
    # numbered in memory, and last_seq written once with the conversation's other changes
    numbered_in_memory(session, conversation)
    if locked.status == S.RESOLVED:
        return [await _reopen_for_customer(session, changes, conversation)], conversation
    return await _bot_answers(session, ctx, conversation, message.text, read)


async def _reopen_for_customer(
    session: AsyncSession, changes: Changes, conversation: Conversation
) -> MessageView:
    """A customer wrote into a resolved conversation: back to its operator if they are still
    active, else to the queue. Returns the system note."""
    note = await system_note(session, changes, conversation, TEXT_REOPENED)
    operator = (
        await session.get(Operator, conversation.assigned_operator_id)
        if conversation.assigned_operator_id
        else None
    )
    sla.restart_on_reopen(conversation, utcnow())
    if operator is not None and operator.is_active:
        move_to(conversation, S.ASSIGNED)
        conversation.resolved_at = None
        changes.changed(conversation, operator.id)
    else:
        await enqueue(session, changes, conversation, note=TEXT_QUEUED)
    return note


async def _bot_answers(
    session: AsyncSession,
    ctx: ChatContext,
    conversation: Conversation,
    text: str,
    read: FirstRead | None = None,
) -> tuple[list[MessageView], Conversation]:
    """The bot's answer to a customer's message while it has the conversation (none, or
    one), in the dialogue kept with the conversation (:mod:`.bot_turn`: the customer's own
    data when logged in, the login offered to a visitor); a topic for the conversation, and
    a handoff to the queue when the bot hands off. → (the replies, the conversation)."""
    if not text.strip():
        return [], conversation
    assert ctx.bot is not None
    conversation_id = conversation.id
    settings = ctx.settings if ctx.settings is not None else Settings()
    reply, state, committed = await bot_turn(session, ctx.bot, conversation, text, settings, read)
    changes = changes_for(session, ctx.publish)
    if committed:  # an action wrote and committed: lock the conversation again, afresh
        found = await session.get(
            Conversation, conversation_id, populate_existing=True, with_for_update=True
        )
        assert found is not None
        conversation = found
    answer = await append(
        session,
        changes,
        conversation,
        sender_kind="bot",
        text=reply.answer,
        extra={"bot": reply.to_json()},
    )
    after_turn(conversation, reply, state)
    if reply.action == "handoff":
        await enqueue(session, changes, conversation, note=None)
    return [answer], conversation
