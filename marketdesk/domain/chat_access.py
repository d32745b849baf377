"""Who may read and who may write a conversation (issue 18: lines enforced everywhere).

A conversation is readable by:

* its customer or visitor (the participant);
* supervisors and admins (every line);
* the operator assigned to it now;
* every operator who was ever assigned to it (it was transferred from them, to another
  operator or to another line: they keep the history of their own work);
* the operators of its line (``operator_lines``), whatever their role — except the line
  ``seller_chat``, which no line membership opens;
* the accounts of its seller (``operator_sellers``), when it has one: the buyer ↔ seller chat
  (issue 14), and a support case passed back by the seller keeps them as readers.

Writing (a reply, a private note, take, transfer, resolve, close) needs read access and a
chat role (operator, supervisor, admin): back office reads the conversations of its lines
but does not write in chats. The finer rules of each action (a reply needs the assigned
operator, «take» needs the line, …) stay with the action.

A refusal must look exactly like a missing conversation (the services answer both with
404 ``conversation_not_found``): the rule only says yes or no.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final, Literal

from marketdesk.domain.lines import Line
from marketdesk.domain.roles import CHAT_ROLES
from marketdesk.domain.roles import SUPERVISOR_ROLES as _SUPERVISOR_ROLES

__all__ = [
    "CHAT_WRITER_ROLES",
    "SELLER_CHAT_LINE",
    "SUPERVISOR_ROLES",
    "Caller",
    "ConversationFacts",
    "may_read",
    "may_write",
    "settled_without_lookup",
]

SUPERVISOR_ROLES: Final[frozenset[str]] = _SUPERVISOR_ROLES
SELLER_CHAT_LINE: Final = Line.SELLER_CHAT.value
CHAT_WRITER_ROLES: Final[frozenset[str]] = CHAT_ROLES


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: ``lines`` are the lines an operator serves (empty for others)."""

    kind: Literal["operator", "customer", "visitor"]
    id: str
    roles: frozenset[str] = frozenset()
    lines: frozenset[str] = frozenset()
    sellers: frozenset[str] = frozenset()

    @property
    def is_supervisor(self) -> bool:
        return self.kind == "operator" and bool(self.roles & SUPERVISOR_ROLES)


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    """What the rule needs to know of a conversation (ids as strings)."""

    line: str
    customer_id: str | None = None
    visitor_id: str | None = None
    assigned_operator_id: str | None = None
    past_operator_ids: Collection[str] = field(default_factory=frozenset)
    seller_id: str | None = None


def settled_without_lookup(caller: Caller, facts: ConversationFacts) -> bool | None:
    """The verdict when it needs neither the caller's lines nor the conversation's past
    operators: True or False, or None when an operator's lines or history must be looked
    up (then :func:`may_read` decides)."""
    if caller.kind == "customer":
        return facts.customer_id is not None and facts.customer_id == caller.id
    if caller.kind == "visitor":
        return facts.visitor_id is not None and facts.visitor_id == caller.id
    if caller.is_supervisor or facts.assigned_operator_id == caller.id:
        return True
    return None


def may_read(caller: Caller, facts: ConversationFacts) -> bool:
    """Whether ``caller`` may see the conversation: its card, transcript, notes (staff),
    attachments and live events."""
    settled = settled_without_lookup(caller, facts)
    if settled is not None:
        return settled
    if facts.seller_id is not None and facts.seller_id in caller.sellers:
        return True
    by_line = facts.line in caller.lines and facts.line != SELLER_CHAT_LINE
    return by_line or caller.id in facts.past_operator_ids


def may_write(caller: Caller, facts: ConversationFacts) -> bool:
    """Whether ``caller`` may act in the conversation at all (the action adds its own
    rules): read access, and for staff a chat role."""
    if not may_read(caller, facts):
        return False
    return caller.kind != "operator" or bool(caller.roles & CHAT_WRITER_ROLES)
