"""The bot's turn in the live chat (issue 14, item 6): the same dialogue as ``marketdesk ask
--customer``, with its state kept in the conversation's row, so that a restart or a second
device goes on with it.

A logged-in customer's questions about their own account («где мой заказ», «сколько у меня
баллов», «активировать сертификат», «вернуть товар», «вывести деньги») are answered with
their facts through ``services.bot_account`` — the same use cases, rules and privacy guard as
the console and the API. A web visitor who asks is offered the login first. Everyone else
(another channel's contact not linked to a customer, the seller line) gets the articles.

The state (:class:`~marketdesk.bot.dialog.DialogState`: the last topic and the question the
bot asked) is ``conversations.extra["bot_dialog"]``; the topic is also the conversation's
``topic``, which the console shows. It is written in the transaction of the bot's reply.

An action that writes (a certificate's activation, a return) is a use case that commits on
its own: the customer's message is committed first (``bot_account.ChatAccount``), then the use
case, then the reply in a transaction of its own that locks the conversation again. A use
case's refusal rolls back only its own work."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot import Bot, BotReply
from marketdesk.bot.core import FirstRead
from marketdesk.bot.dialog import Dialog, DialogState
from marketdesk.domain.channels import Channel
from marketdesk.domain.lines import Line
from marketdesk.settings import Settings
from marketdesk.store.models import Conversation, Customer

if TYPE_CHECKING:
    from ..bot_account import ChatAccount

from ..principals import Principal

__all__ = [
    "STATE_KEY",
    "after_turn",
    "bot_turn",
    "dialog_state",
    "keep_state",
    "visitor_turn_rows",
]

STATE_KEY = "bot_dialog"


def dialog_state(conversation: Conversation) -> DialogState:
    """The dialogue's state kept with the conversation (its topic the conversation's)."""
    kept = (conversation.extra or {}).get(STATE_KEY)
    if not isinstance(kept, dict):
        return DialogState(topic=conversation.topic)
    return DialogState(
        topic=conversation.topic,
        pending=kept.get("pending") if isinstance(kept.get("pending"), str) else None,
        options=tuple(str(o) for o in kept.get("options") or ()),
        data=tuple(str(d) for d in kept.get("data") or ()),
    )


def keep_state(conversation: Conversation, state: DialogState) -> None:
    """Write the state after a turn (a new dict: the JSON column sees the change)."""
    extra = dict(conversation.extra or {})
    if state.pending is None:
        extra.pop(STATE_KEY, None)
    else:
        extra[STATE_KEY] = {
            "pending": state.pending,
            "options": list(state.options),
            "data": list(state.data),
        }
    if extra != (conversation.extra or {}):
        conversation.extra = extra
    if state.topic:
        conversation.topic = state.topic


def after_turn(conversation: Conversation, reply: BotReply, state: DialogState) -> None:
    """The conversation after the bot's turn: the dialogue's state kept, and for a handoff
    without a sure topic the bot's best guess as the topic, for the operator."""
    keep_state(conversation, state)
    if not reply.topic and reply.suggestions and conversation.topic is None:
        conversation.topic = reply.suggestions[0].slug


async def _account(
    session: AsyncSession, conversation: Conversation, settings: Settings
) -> ChatAccount | None:
    """The logged-in customer's account, where the bot may act on it (not the seller line)."""
    from ..bot_account import ChatAccount  # the account's use cases import the chat

    if conversation.customer_id is None or conversation.line == Line.SELLER:
        return None
    customer = await session.get(Customer, conversation.customer_id)
    if customer is None:
        return None
    principal = Principal("customer", customer.id, name=customer.full_name or "")
    return ChatAccount(session, principal, settings)


async def bot_turn(
    session: AsyncSession,
    bot: Bot,
    conversation: Conversation,
    text: str,
    settings: Settings,
    read: FirstRead | None = None,
) -> tuple[BotReply, DialogState, bool]:
    """The bot's reply to ``text`` in ``conversation`` and the dialogue's state after it,
    and whether the message's transaction was committed on the way (an action that writes).
    Never raises for the dialogue's sake: a failure is a handoff (``Dialog.turn``).
    ``read``: the bot's reading of the text, worked out before the lock (``Bot.read``)."""
    account = await _account(session, conversation, settings)
    dialog = Dialog(
        bot,
        account=account,
        visitor=conversation.customer_id is None and conversation.channel == Channel.WEB,
        line=conversation.line,
        in_conversation=True,
    )
    dialog.state = dialog_state(conversation)
    reply = await dialog.turn(text, read)
    return reply, dialog.state, account is not None and account.committed


def visitor_turn_rows(
    visitor: Principal,
    client_msg_id: str,
    text: str,
    reply: BotReply,
    *,
    seq: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """The ``messages`` rows of a web visitor's message numbered ``seq`` and the bot's
    answer after it, as the general path inserts them (``sending._insert``: a visitor on
    the web has no ``extra``; ``transcript.append``: the answer's), without their
    ``conversation_id``: for the transaction scripts (``first_contact``, ``follow_up``)."""
    return [
        {
            "seq": seq,
            "sender_kind": visitor.kind,
            "sender_id": str(visitor.id),
            "client_msg_id": client_msg_id,
            "text": text,
            "private": False,
            "extra": {},
            "created_at": now,
        },
        {
            "seq": seq + 1,
            "sender_kind": "bot",
            "sender_id": None,
            "client_msg_id": None,
            "text": reply.answer,
            "private": False,
            "extra": {"bot": reply.to_json()},
            "created_at": now,
        },
    ]
