"""The live chat: conversations, their messages, and the one door for sending.

Modules, each doing one thing:

* :mod:`.sending` — :func:`send` (``send(ctx, who, OutgoingMessage(...))``), the one entry
  for every message from every channel, and :func:`preview`, its dry run;
* :mod:`.lifecycle` — starting, queueing, taking, transferring, resolving, closing, rating;
* :mod:`.assignment` — the line's queue and who gets a conversation;
* :mod:`.writer`, :mod:`.batch` — group commit of concurrent sends;
* :mod:`.transcript` — numbered rows of the transcript inside a transaction;
* :mod:`.guard` — the privacy guard on what goes to a customer;
* :mod:`.queries`, :mod:`.views` — reading;
* :mod:`.events` — live events, collected per transaction and published after the commit;
* :mod:`.sla`, :mod:`.sla_watch` — the service-level clocks: kept in the chat's writes,
  watched by the SLA timer (warnings, breaches); :mod:`.escalation` — the customer's
  escalation of an overdue conversation;
* :mod:`.checks`, :mod:`.context`, :mod:`.texts` — what the rest shares.
"""

from __future__ import annotations

from .checks import MAX_CLIENT_MSG_ID, MAX_TEXT, check_send, validate_text
from .context import ChatContext, GuardObjected, TextGuard
from .escalation import escalate
from .events import Publisher, no_publisher, set_default_publisher
from .guard import (
    MAX_GUARD_TEXT,
    GuardResult,
    PrivacyRefused,
    ViolationView,
    check_text,
    refuse_disclosure,
)
from .lifecycle import (
    adopt_visitor_conversations,
    close,
    first_read,
    open_first_conversation,
    rate,
    request_operator,
    resolve,
    seller_topics,
    set_availability,
    start_conversation,
    start_conversation_with_message,
    take,
    transfer,
)
from .queries import (
    MAX_PAGE,
    MAX_QUEUE_PAGE,
    QUEUE_PAGE,
    get_conversation,
    list_messages,
    list_my_conversations,
    list_operator_conversations,
    list_queue,
    replay,
)
from .sellers import SellerChatSubject, bring_seller, open_seller_chat, pass_to_support
from .sending import NewAttachment, OutgoingMessage, find_sent, preview, send
from .sla import configure as configure_sla
from .transcript import add_system_message, open_with_system_message
from .views import (
    STATUS_TITLES_RU,
    ConversationView,
    MessageView,
    QueueItem,
    QueuePage,
    SendResult,
    public_view,
)
from .writer import ChatWriter, WriterStats

__all__ = [
    "MAX_CLIENT_MSG_ID",
    "MAX_GUARD_TEXT",
    "MAX_PAGE",
    "MAX_QUEUE_PAGE",
    "MAX_TEXT",
    "QUEUE_PAGE",
    "STATUS_TITLES_RU",
    "ChatContext",
    "ChatWriter",
    "ConversationView",
    "GuardObjected",
    "GuardResult",
    "MessageView",
    "NewAttachment",
    "OutgoingMessage",
    "PrivacyRefused",
    "Publisher",
    "QueueItem",
    "QueuePage",
    "SellerChatSubject",
    "SendResult",
    "TextGuard",
    "ViolationView",
    "WriterStats",
    "add_system_message",
    "adopt_visitor_conversations",
    "bring_seller",
    "check_send",
    "check_text",
    "close",
    "configure_sla",
    "escalate",
    "find_sent",
    "first_read",
    "get_conversation",
    "list_messages",
    "list_my_conversations",
    "list_operator_conversations",
    "list_queue",
    "no_publisher",
    "open_first_conversation",
    "open_seller_chat",
    "open_with_system_message",
    "pass_to_support",
    "preview",
    "public_view",
    "rate",
    "refuse_disclosure",
    "replay",
    "request_operator",
    "resolve",
    "seller_topics",
    "send",
    "set_availability",
    "set_default_publisher",
    "start_conversation",
    "start_conversation_with_message",
    "take",
    "transfer",
    "validate_text",
]
