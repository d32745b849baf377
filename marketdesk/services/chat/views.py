"""What readers get of a conversation and its messages (operators see everything; customers
get :func:`public_view` and never private notes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import STATUS_TITLES_RU, ConversationStatus
from marketdesk.domain.lines import LINE_TITLES_RU, Line
from marketdesk.store.models import Message

from .sla import view_fields as sla_view_fields

__all__ = [
    "STATUS_TITLES_RU",
    "ConversationView",
    "MessageView",
    "QueueItem",
    "QueuePage",
    "SendResult",
    "conversation_json",
    "conversation_view",
    "message_view",
    "public_view",
]


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
    channel: str = Channel.WEB.value  # where it came in (``OutgoingMessage.channel``)


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
    # service level (:mod:`.sla`): the running clocks' due times (null: not running), the
    # most urgent one (``sla_state``: ok, at_risk, breached; null: no clock runs), the
    # customer's escalation and whether it is offered now
    channel: str = Channel.WEB.value
    first_response_at: datetime | None = None
    first_response_due_at: datetime | None = None
    next_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    sla_state: str | None = None
    sla_kind: str | None = None
    sla_due_at: datetime | None = None
    escalated_at: datetime | None = None
    escalation_due_at: datetime | None = None
    escalation_available: bool = False
    escalation_available_from: datetime | None = None


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


class SendResult:
    """A sent message (``duplicate``: a retry answered with the message stored before), the
    replies it brought (the bot's answer, a system note) and the conversation after it.

    The conversation's view may be given as ``view_of``, built when first read: the sockets
    answer with an ack and never read it, and a view with its service-level clocks costs
    about 50 µs a message."""

    __slots__ = ("_conversation", "_view_of", "duplicate", "message", "replies")

    def __init__(
        self,
        message: MessageView,
        duplicate: bool = False,
        replies: list[MessageView] | None = None,
        conversation: ConversationView | None = None,
        *,
        view_of: Callable[[], ConversationView] | None = None,
    ) -> None:
        self.message = message
        self.duplicate = duplicate
        self.replies = replies if replies is not None else []
        self._conversation = conversation
        self._view_of = view_of

    @property
    def conversation(self) -> ConversationView | None:
        if self._conversation is None and self._view_of is not None:
            self._conversation = self._view_of()
            self._view_of = None
        return self._conversation

    @property
    def known_conversation(self) -> ConversationView | None:
        """The conversation's view if it was given or built already (None: not built)."""
        return self._conversation

    def __repr__(self) -> str:
        return (
            f"SendResult(message={self.message!r}, duplicate={self.duplicate!r}, "
            f"replies={self.replies!r})"
        )


def message_view(message: Message) -> MessageView:
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
        channel=extra.get("channel", Channel.WEB.value),
    )


SELLER_CHAT_TITLE = "Чат с продавцом: продавец ответит здесь"


def _status_title(conversation: Any) -> str:
    """The status in Russian; the buyer ↔ seller chat is with the seller, not an operator."""
    if conversation.line == Line.SELLER_CHAT and conversation.status == "assigned":
        return SELLER_CHAT_TITLE
    return STATUS_TITLES_RU[conversation.status]


def conversation_view(conversation: Any) -> ConversationView:
    """From an ORM object or a Core row of ``conversations``."""
    return ConversationView(
        id=conversation.id,
        status=conversation.status,
        status_title=_status_title(conversation),
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
        **sla_view_fields(conversation),
    )


def _json_time(value: datetime | None) -> str | None:
    """A UTC datetime as pydantic writes it in JSON (``…Z``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# the view's columns that a message leaves as they are (all but ``last_seq`` and the clocks)
_STEADY = (
    "id",
    "status",
    "line",
    "topic",
    "assigned_operator_id",
    "customer_id",
    "visitor_id",
    "ticket_number",
    "seller_topic",
    "seller_subtopic",
    "rating",
    "created_at",
    "queued_at",
    "resolved_at",
    "closed_at",
)
_SLA_TIMES = frozenset(
    (
        "first_response_at",
        "first_response_due_at",
        "next_response_due_at",
        "resolution_due_at",
        "sla_due_at",
        "escalated_at",
        "escalation_due_at",
        "escalation_available_from",
    )
)
_STEADY_VIEW_FIELDS = (*_STEADY, "status_title", "line_title")  # what a view takes from them
_steady_json: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
_STEADY_KEPT = 4096  # conversations whose steady part is remembered (then forgotten at once)


def conversation_json(conversation: Any) -> dict[str, Any]:
    """``conversation_view(conversation).model_dump(mode="json")``, the form live events
    carry, for the events built at every message (a message that starts or stops a clock
    carries its conversation to the operator, docs/decisions/0005-clocks-on-the-message.md).
    The part a message does not change is kept per conversation, by the values it was made
    from; ``last_seq`` and the clocks are written each time. A test holds the two equal."""
    key = tuple(getattr(conversation, name) for name in _STEADY)
    kept = _steady_json.get(key[0])
    if kept is None or kept[0] != key:
        if len(_steady_json) >= _STEADY_KEPT:
            _steady_json.clear()
        full = conversation_view(conversation).model_dump(mode="json")
        _steady_json[key[0]] = (key, {name: full[name] for name in _STEADY_VIEW_FIELDS})
        return full
    data = dict(kept[1])
    data["last_seq"] = conversation.last_seq
    for name, value in sla_view_fields(conversation).items():
        data[name] = _json_time(value) if name in _SLA_TIMES else value
    return data


_STAFF_ONLY = (
    "assigned_operator_id",
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "sla_state",
    "sla_kind",
    "sla_due_at",
)


def public_view(view: ConversationView) -> dict[str, Any]:
    """What a customer sees of a conversation (no staff ids)."""
    data = view.model_dump(mode="json")
    for staff_only in _STAFF_ONLY:
        data.pop(staff_only, None)
    data["operator_connected"] = view.status == ConversationStatus.ASSIGNED
    return data
