"""A widget's anonymous visitor: its token, and, when the visitor arrives with a question,
its first conversation with that question in the same transaction (issue 17: the widget's
first question in one request, the bot's answer in its response).

One transaction: the visitor, its session, the conversation, the message and the bot's
answer are committed together, or, when anything is refused (a seller topic missing, an
empty message), none of them. The visitor's principal goes into the principal cache after
the commit, so that its next requests need no query to know who it is.

A response lost on the way cannot be retried as the same visitor (the client never got the
token): the widget's next attempt opens another visitor and conversation; the first stays,
as the conversation of a visitor who never comes back (one who cleared the browser's
storage) does. A visitor with a token opens its conversations through ``POST
/api/v1/conversations``, where a retry finds what it made."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import utcnow

from . import auth
from .chat import ChatContext, first_read, open_first_conversation
from .chat.first_contact import open_first_contact
from .chat.views import ConversationView, SendResult
from .principals import Principal

__all__ = ["NewVisitor", "Opening", "new_visitor", "new_visitor_principal"]


@dataclass(frozen=True, slots=True)
class Opening:
    """The conversation a visitor opens as it arrives: the line (with the seller topic for
    seller support) and, optionally, the first message."""

    line: str
    seller_topic: str | None = None
    seller_subtopic: str | None = None
    client_msg_id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class NewVisitor:
    """The visitor's bearer token; the conversation it opened and the sent message, if any."""

    principal: Principal
    token: str
    conversation: ConversationView | None = None
    sent: SendResult | None = None


def new_visitor_principal() -> Principal:
    """The principal a visitor about to be created will have (its id chosen now, so that the
    abuse limits can count its first actions before anything is written)."""
    return Principal("visitor", str(uuid.uuid4()))


async def new_visitor(
    session: AsyncSession,
    ctx: ChatContext,
    *,
    ttl: timedelta,
    cache: auth.PrincipalCache | None = None,
    principal: Principal | None = None,
    opening: Opening | None = None,
) -> NewVisitor:
    """A new visitor (``principal``'s id, from :func:`new_visitor_principal`), and with
    ``opening`` its first conversation, committed together."""
    visitor_id = str(principal.id) if principal is not None else None
    read = None
    if opening is not None and opening.client_msg_id is not None:
        # the bot reads the question before the write lock is taken (the first write)
        read = first_read(ctx, opening.text or "", opening.line)
    if opening is not None and opening.client_msg_id is not None and principal is not None:
        # the common first question as one transaction script (``chat.first_contact``)
        token, values = auth.new_session_values(
            "visitor", {"visitor_id": str(principal.id)}, ttl, now=utcnow()
        )
        contact = await open_first_contact(
            session,
            ctx,
            principal,
            session_values=values,
            line=opening.line,
            client_msg_id=opening.client_msg_id,
            text=opening.text or "",
            read=read,
        )
        if contact is not None:
            row = contact.session_row
            if row is None:  # the new visitor's script always writes one
                raise RuntimeError("the first contact wrote no session")
            who = auth.session_principal(row)
            auth.remember_session(cache, row, who)
            return NewVisitor(who, token, contact.conversation, contact.sent)
    token, row = await auth.add_visitor(session, ttl=ttl, visitor_id=visitor_id)
    who = auth.session_principal(row)
    if opening is None:
        await session.commit()
        auth.remember_session(cache, row, who)
        return NewVisitor(who, token)
    view, sent = await open_first_conversation(
        session,
        ctx,
        who,
        line=opening.line,
        seller_topic=opening.seller_topic,
        seller_subtopic=opening.seller_subtopic,
        client_msg_id=opening.client_msg_id,
        text=opening.text or "",
        read=read,
    )
    auth.remember_session(cache, row, who)
    return NewVisitor(who, token, view, sent)
