"""A conversation's life cycle: its statuses and the moves between them.

Statuses: bot → queued → assigned → resolved, and closed from anywhere.

* ``bot``: the bot answers; nobody from support has it yet.
* ``queued``: waiting in its line's queue for an operator.
* ``assigned``: an operator has it.
* ``resolved``: the operator marked the question solved; the customer may rate it or
  write again.
* ``closed``: for good; nothing changes it any more.

The moves, as the chat's use cases make them (``services/conversations.py``):

* bot → queued: the customer asks for an operator («Позвать оператора»), or the bot hands
  the conversation off;
* queued → assigned: the queue gives it to an operator, or an operator takes it, or it is
  transferred to an operator;
* queued → queued: transferred to another line's queue;
* assigned → assigned: transferred to another operator;
* assigned → queued: transferred to a line's queue;
* resolved → assigned: the customer writes again and their operator is still active;
* resolved → queued: the customer writes again (their operator is gone) or asks for an
  operator;
* bot, queued, assigned → resolved: the assigned operator or a supervisor marks it solved
  (a supervisor may resolve a conversation nobody has taken yet);
* bot, queued, assigned, resolved → closed: the customer, the assigned operator or a
  supervisor closes it.

Who may make a move (the assigned operator, a supervisor, the customer) is the use case's
rule, not this table's.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "CONVERSATION_TRANSITIONS",
    "OPEN_STATUSES",
    "STATUS_TITLES_RU",
    "ConversationStatus",
    "InvalidConversationMove",
    "can_move",
    "is_open",
    "move",
]


class ConversationStatus(StrEnum):
    """Life cycle of a conversation (the order is the one of the database constraint)."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def title_ru(self) -> str:
        """Russian display name."""
        return STATUS_TITLES_RU[self]


STATUS_TITLES_RU: Final = MappingProxyType(
    {
        ConversationStatus.BOT: "Отвечает бот",
        ConversationStatus.QUEUED: "Ожидает оператора",
        ConversationStatus.ASSIGNED: "Оператор в чате",
        ConversationStatus.RESOLVED: "Вопрос решён",
        ConversationStatus.CLOSED: "Диалог закрыт",
    }
)

OPEN_STATUSES: Final = (
    ConversationStatus.BOT,
    ConversationStatus.QUEUED,
    ConversationStatus.ASSIGNED,
)
"""A customer has at most one open conversation per line: these statuses count."""

_S = ConversationStatus

CONVERSATION_TRANSITIONS: Final = MappingProxyType(
    {
        _S.BOT: frozenset({_S.QUEUED, _S.RESOLVED, _S.CLOSED}),
        _S.QUEUED: frozenset({_S.QUEUED, _S.ASSIGNED, _S.RESOLVED, _S.CLOSED}),
        _S.ASSIGNED: frozenset({_S.QUEUED, _S.ASSIGNED, _S.RESOLVED, _S.CLOSED}),
        _S.RESOLVED: frozenset({_S.QUEUED, _S.ASSIGNED, _S.CLOSED}),
        _S.CLOSED: frozenset[ConversationStatus](),
    }
)
"""From a status, the statuses a conversation may move to."""


class InvalidConversationMove(ValueError):
    """Raised when a conversation cannot move from one status to another."""

    def __init__(self, source: ConversationStatus, target: ConversationStatus) -> None:
        super().__init__(
            f"Нельзя перевести диалог из статуса «{STATUS_TITLES_RU[source]}» "
            f"в статус «{STATUS_TITLES_RU[target]}»."
        )
        self.source = source
        self.target = target


def can_move(source: str, target: str) -> bool:
    """Whether a conversation in status ``source`` may move to status ``target``.

    Raises ``ValueError`` for a string that is not a status."""
    return ConversationStatus(target) in CONVERSATION_TRANSITIONS[ConversationStatus(source)]


def move(source: str, target: str) -> ConversationStatus:
    """``target`` if the move is allowed, otherwise raise :class:`InvalidConversationMove`."""
    a, b = ConversationStatus(source), ConversationStatus(target)
    if b not in CONVERSATION_TRANSITIONS[a]:
        raise InvalidConversationMove(a, b)
    return b


def is_open(status: str) -> bool:
    """Bot, queued or assigned: the conversation is still going on."""
    return ConversationStatus(status) in OPEN_STATUSES
