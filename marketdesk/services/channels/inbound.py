"""What arrives through an outside channel becomes a message of one conversation, through
the chat's one door (:func:`marketdesk.services.chat.send`): the bot answers first, as in the
web chat, and its answer goes back out through the channel (``channel_deliveries``).

**Once.** Each inbound message has the channel's own id (an e-mail's ``Message-ID``, a
Telegram update, a VK message id): :func:`receive` stores it once, whatever the channel
repeats. Its ``client_msg_id`` is derived from that id, so a crash between storing the
message and recording the id is caught by the chat's idempotency on the retry; an adapter
acknowledges to the channel (IMAP flag, SMTP 250, HTTP 200) only after :func:`receive`
returned."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus
from marketdesk.domain.lines import Line
from marketdesk.store.models import ChannelContact, ChannelInbound, Conversation, utcnow

from .. import attachments as attachment_store
from .. import chat
from ..principals import Principal
from .contacts import contact_for, principal_of

__all__ = ["InboundFile", "InboundMessage", "Received", "receive"]


@dataclass(frozen=True, slots=True)
class InboundFile:
    """A file that came with an inbound message."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message that arrived through an outside channel, as its adapter read it."""

    channel: Channel
    address: str
    """The customer's address: e-mail address (lower case), Telegram chat id, VK peer id."""
    external_id: str
    """The channel's id of this message: the idempotency key."""
    text: str
    display_name: str | None = None
    files: tuple[InboundFile, ...] = ()
    conversation_id: int | None = None
    """The conversation the adapter threaded it into (an e-mail's ``In-Reply-To``, the
    number in its subject); None: the contact's open conversation, or a new one."""
    new_thread: bool = False
    """Start a new conversation rather than go on with the contact's open one (a new
    e-mail, not a reply)."""
    line: Line = Line.GENERAL
    seller_topic: str | None = None
    seller_subtopic: str | None = None
    subject: str | None = None
    """An e-mail's subject: kept on the contact's conversation for the replies."""


@dataclass(frozen=True, slots=True)
class Received:
    conversation_id: int
    message: chat.MessageView | None
    """The stored message (None: only files came, or it was a repeat)."""
    replies: tuple[chat.MessageView, ...] = ()
    duplicate: bool = False


def client_msg_id(channel: Channel, external_id: str) -> str:
    """The chat's idempotency key of an inbound message (at most 64 characters)."""
    digest = hashlib.sha256(external_id.encode()).hexdigest()[:40]
    return f"{channel.value}:{digest}"


async def receive(ctx: chat.ChatContext, inbound: InboundMessage, *, data_dir: Path) -> Received:
    """Store ``inbound`` in its conversation (see the module's docstring). Refusals of the
    chat (a text too long…) raise its errors; the adapter answers the sender as its channel
    allows."""
    database = ctx.database
    if database is None:
        raise RuntimeError("receive needs ctx.database")
    async with database.sessions() as session:
        seen = await session.get(ChannelInbound, (inbound.channel.value, inbound.external_id))
        if seen is not None:
            return Received(seen.conversation_id, None, duplicate=True)
        contact = await contact_for(
            session, inbound.channel, inbound.address, display_name=inbound.display_name
        )
        principal = principal_of(contact)
        conversation_id = await _conversation_for(session, ctx, inbound, contact, principal)
        key = client_msg_id(inbound.channel, inbound.external_id)
        result: chat.SendResult | None = None
        if inbound.text.strip():
            result = await chat.send(
                ctx,
                principal,
                chat.OutgoingMessage(
                    conversation_id=conversation_id,
                    client_msg_id=key,
                    text=inbound.text,
                    channel=inbound.channel,
                ),
                session=session,
            )
        for index, file in enumerate(inbound.files):
            await attachment_store.attach(
                session,
                ctx,
                principal,
                conversation_id,
                filename=file.filename,
                data=file.data,
                client_msg_id=f"{key}:{index}",
                data_dir=data_dir,
            )
        stored = result.message if result is not None else None
        session.add(
            ChannelInbound(
                channel=inbound.channel.value,
                external_id=inbound.external_id,
                conversation_id=conversation_id,
                message_id=stored.id if stored is not None else None,
                received_at=utcnow(),
            )
        )
        try:
            await session.commit()
        except IntegrityError:  # the same message taken at once elsewhere: stored once
            await session.rollback()
        return Received(
            conversation_id,
            stored,
            tuple(result.replies) if result is not None else (),
            duplicate=bool(result is not None and result.duplicate),
        )


async def _conversation_for(
    session: AsyncSession,
    ctx: chat.ChatContext,
    inbound: InboundMessage,
    contact: ChannelContact,
    principal: Principal,
) -> int:
    """The adapter's thread if it is this contact's and not closed; else the contact's
    latest conversation that is not closed (unless a new thread is asked for); else a new
    one. A conversation of the contact with no message yet (made by a try that crashed
    before its message) is taken again rather than made twice."""
    mine = Conversation.channel_contact_id == contact.id
    not_closed = Conversation.status != ConversationStatus.CLOSED.value
    if inbound.conversation_id is not None:
        found = await session.scalar(
            select(Conversation.id).where(
                Conversation.id == inbound.conversation_id, mine, not_closed
            )
        )
        if found is not None:
            return int(found)
    condition = Conversation.last_seq == 0 if inbound.new_thread else not_closed
    latest = await session.scalar(
        select(Conversation.id).where(mine, condition).order_by(Conversation.id.desc()).limit(1)
    )
    if latest is not None:
        return int(latest)
    view, _ = await chat.start_conversation(
        session,
        ctx,
        principal,
        line=inbound.line,
        seller_topic=inbound.seller_topic,
        seller_subtopic=inbound.seller_subtopic,
        channel=inbound.channel,
        channel_contact_id=contact.id,
    )
    if inbound.subject:
        conversation = await session.get(Conversation, view.id)
        assert conversation is not None
        conversation.extra = {**conversation.extra, "subject": inbound.subject[:300]}
        await session.commit()
    return view.id
