"""A new visitor's first question as one transaction script (issue 17): the visitor, its
session, the conversation as it stands after the bot's answer and the two messages, written
from values worked out before the write lock, with no ORM between the statements.

The general path (``lifecycle.open_first_conversation``) inserts the conversation, then the
message, lets the bot answer under the lock, inserts the answer and updates the
conversation: seven statements through the ORM, with SQLite's write lock held about 1.8 ms
of which SQLite's own work was a tenth (bench/README.md). A visitor's new conversation is
nobody else's until the commit, and the bot's turn in it reads nothing of the database (a
visitor has no account for the bot to act on): so the turn is taken first, and the lock is
held for four inserts and the commit (five round trips on PostgreSQL, not eight).

It applies to what is common: a question the bot answers (or refuses) on a line a visitor
opens as asked or is routed from. Anything else — no bot, an empty text, the seller lines,
the bot handing over to the operators (a queue, the service-level clocks, the dispatch) —
returns None before anything is written, and the caller takes the general path, which
reads the text again from the same ``read``. What both paths write is the same, row for row
and event for event (``tests/chat/test_first_contact.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot.core import FirstRead
from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.settings import Settings
from marketdesk.store.models import Conversation, Session, Visitor, utcnow
from marketdesk.store.transactions import write_locked

from .. import webhooks
from ..principals import Principal
from ..webhooks.payloads import conversation_data, message_data
from .bot_turn import after_turn, bot_turn
from .checks import check_send, require_valid_line
from .context import ChatContext
from .events import changes_for
from .transcript import CONVERSATIONS, MESSAGES, stored_view
from .views import ConversationView, SendResult, conversation_view

__all__ = ["FirstContact", "open_first_contact"]

_VISITORS: Table = Visitor.__table__  # type: ignore[assignment]
_SESSIONS: Table = Session.__table__  # type: ignore[assignment]

# built once (building a statement cost more CPU than SQLite took to run it)
_INSERT_VISITOR = insert(_VISITORS)
_INSERT_SESSION = insert(_SESSIONS).returning(*_SESSIONS.c)
_INSERT_CONVERSATION = insert(CONVERSATIONS).returning(*CONVERSATIONS.c)
# the two messages in one statement: the ids matched to them by their numbers (SQLite does
# not promise the order of ``RETURNING``'s rows, and SQLAlchemy's promise of it costs a
# statement a row there)
_INSERT_MESSAGES = insert(MESSAGES).returning(MESSAGES.c.id, MESSAGES.c.seq)


@dataclass(frozen=True, slots=True)
class FirstContact:
    """What the script wrote: the session's row (``sessions``' columns), the conversation
    and the sent message with the bot's answer."""

    session_row: Row[Any]
    conversation: ConversationView
    sent: SendResult


@dataclass(frozen=True, slots=True)
class _Written:
    session_row: Row[Any]
    conversation: Row[Any]
    message_ids: list[int]
    emitted: int


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
    conversation = Conversation(**values)  # not in the session: the turn's subject only
    settings = ctx.settings if ctx.settings is not None else Settings()
    # a visitor's turn reads nothing (no account): the conversation need not exist yet
    reply, state, _ = await bot_turn(session, ctx.bot, conversation, text, settings, read)
    if reply.action == "handoff":
        return None
    after_turn(conversation, reply, state)
    values["topic"], values["extra"] = conversation.topic, conversation.extra
    # a visitor's web chat sends nothing out (``outbound``): no delivery rows
    messages: list[dict[str, Any]] = [
        {
            "seq": 1,
            "sender_kind": principal.kind,
            "sender_id": str(principal.id),
            "client_msg_id": client_msg_id,
            "text": text,
            "private": False,
            "extra": {},  # ``sending.sent_extra`` of a visitor on the web
            "created_at": now,
        },
        {
            "seq": 2,
            "sender_kind": "bot",
            "sender_id": None,
            "client_msg_id": None,
            "text": reply.answer,
            "private": False,
            "extra": {"bot": reply.to_json()},
            "created_at": now,
        },
    ]
    visitor = {"id": str(principal.id), "created_at": now}
    async with write_locked(session):
        written = await session.run_sync(
            lambda sync: _write(sync.connection(), visitor, session_values, values, messages, now)
        )
        row = written.conversation
        views = [  # (``_write`` gave each its ``conversation_id``)
            stored_view(message_id, **message)
            for message_id, message in zip(written.message_ids, messages, strict=True)
        ]
        changes = changes_for(session, ctx.publish)
        for message_view in views:
            changes.message(message_view, row)
        await session.commit()
    if written.emitted:
        await webhooks.wake_after_commit()
    view = conversation_view(row)
    sent = SendResult(message=views[0], replies=views[1:], conversation=view)
    return FirstContact(written.session_row, view, sent)


def _write(
    connection: Connection,
    visitor: dict[str, Any],
    session_values: dict[str, Any],
    conversation: dict[str, Any],
    messages: list[dict[str, Any]],
    now: datetime,
) -> _Written:
    """The script's statements, in the session's transaction (its commit is the caller's)."""
    connection.execute(_INSERT_VISITOR, visitor)
    session_row = connection.execute(_INSERT_SESSION, session_values).one()
    row = connection.execute(_INSERT_CONVERSATION, conversation).one()
    for message in messages:
        message["conversation_id"] = row.id
    ids = {int(seq): int(i) for i, seq in connection.execute(_INSERT_MESSAGES, messages)}
    message_ids = [ids[message["seq"]] for message in messages]
    emitted = webhooks.emit_sync(
        connection, WebhookEvent.CONVERSATION_CREATED, [partial(conversation_data, row)], now
    )
    emitted += webhooks.emit_sync(
        connection,
        WebhookEvent.MESSAGE_CREATED,
        [
            partial(message_data, stored_view(i, **m), row)
            for i, m in zip(message_ids, messages, strict=True)
        ],
        now,
    )
    return _Written(session_row, row, message_ids, emitted)
