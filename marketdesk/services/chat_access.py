"""The one access check of conversations: REST, sockets, the console and attachments ask
here (the rule itself is :mod:`marketdesk.domain.chat_access`).

The facts are read lazily: a customer, a visitor, a supervisor or the assigned operator is
answered without a query; another operator costs one read of their lines and, only if the
conversation is not of their lines, one read of its past operators.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import chat_access as rule
from marketdesk.domain.lines import Line
from marketdesk.store.models import (
    Conversation,
    ConversationOperator,
    OperatorLine,
    OperatorSeller,
    utcnow,
)

from .principals import Principal

__all__ = [
    "caller",
    "facts",
    "is_supervisor",
    "may_read",
    "may_read_id",
    "may_read_now",
    "may_write",
    "operator_lines",
    "record_operator",
    "represents",
    "seller_ids",
    "watched_lines",
]


def caller(principal: Principal, lines: frozenset[str] = frozenset()) -> rule.Caller:
    return rule.Caller(principal.kind, str(principal.id), principal.roles, lines)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def facts(conversation: Any, past: frozenset[str] = frozenset()) -> rule.ConversationFacts:
    """From an ORM object or a Core row of ``conversations``."""
    return rule.ConversationFacts(
        line=str(conversation.line),
        customer_id=_str(conversation.customer_id),
        visitor_id=_str(conversation.visitor_id),
        assigned_operator_id=_str(conversation.assigned_operator_id),
        past_operator_ids=past,
        seller_id=_str(getattr(conversation, "seller_id", None)),
    )


def may_read_now(principal: Principal, conversation: Any) -> bool | None:
    """The verdict without a query, or None when the operator's lines or the conversation's
    past operators decide (ask :func:`may_read`)."""
    return rule.settled_without_lookup(caller(principal), facts(conversation))


async def operator_lines(session: AsyncSession, operator_id: int | str) -> frozenset[str]:
    rows = await session.scalars(
        select(OperatorLine.line).where(OperatorLine.operator_id == int(operator_id))
    )
    return frozenset(rows)


def is_supervisor(principal: Principal) -> bool:
    """A supervisor or an admin: reads every line."""
    return bool(principal.roles & rule.SUPERVISOR_ROLES)


def watched_lines(principal: Principal, lines: frozenset[str]) -> list[str]:
    """The lines whose live events an operator follows: their own ``lines``, or every
    line for a supervisor or an admin."""
    if is_supervisor(principal):
        return sorted(line.value for line in Line)
    return sorted(lines)


async def _was_assigned(session: AsyncSession, conversation_id: int, operator_id: int) -> bool:
    found = await session.scalar(
        select(
            exists().where(
                ConversationOperator.conversation_id == conversation_id,
                ConversationOperator.operator_id == operator_id,
            )
        )
    )
    return bool(found)


async def may_read(
    session: AsyncSession,
    principal: Principal,
    conversation: Any,
    *,
    lines: frozenset[str] | None = None,
) -> bool:
    """Whether ``principal`` may read ``conversation`` (an ORM object or a row); ``lines``:
    the operator's lines when the caller has them already."""
    settled = may_read_now(principal, conversation)
    if settled is not None:
        return settled
    if lines is None:
        lines = await operator_lines(session, principal.id)
    who = caller(principal, lines)
    if rule.may_read(who, facts(conversation)):
        return True
    if not str(principal.id).isdigit():
        return False
    seller_id = getattr(conversation, "seller_id", None)
    if seller_id is not None and await represents(session, int(principal.id), int(seller_id)):
        return True
    if await _was_assigned(session, int(conversation.id), int(principal.id)):
        return rule.may_read(who, facts(conversation, frozenset({str(principal.id)})))
    return False


async def may_read_id(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    *,
    lines: frozenset[str] | None = None,
) -> bool:
    """:func:`may_read` for a conversation known by its id; False when there is none."""
    row = await session.get(Conversation, conversation_id)
    return row is not None and await may_read(session, principal, row, lines=lines)


async def may_write(session: AsyncSession, principal: Principal, conversation: Any) -> bool:
    """Read access and, for staff, a chat role (the action adds its own rules)."""
    if not await may_read(session, principal, conversation):
        return False
    return not principal.is_operator or bool(principal.roles & rule.CHAT_WRITER_ROLES)


async def represents(session: AsyncSession, operator_id: int, seller_id: int) -> bool:
    """Whether the staff account ``operator_id`` answers for the seller ``seller_id``
    (``operator_sellers``: the seller's own accounts, the demo's ``sellers``)."""
    found = await session.scalar(
        select(
            exists().where(
                OperatorSeller.operator_id == operator_id, OperatorSeller.seller_id == seller_id
            )
        )
    )
    return bool(found)


async def seller_ids(session: AsyncSession, operator_id: int) -> list[int]:
    """The sellers the staff account ``operator_id`` answers for."""
    rows = await session.scalars(
        select(OperatorSeller.seller_id)
        .where(OperatorSeller.operator_id == operator_id)
        .order_by(OperatorSeller.seller_id)
    )
    return list(rows)


async def record_operator(session: AsyncSession, conversation_id: int, operator_id: int) -> None:
    """Remember that ``operator_id`` was assigned to the conversation (inside the caller's
    transaction, which holds the conversation's lock: no two writers race here)."""
    if not await _was_assigned(session, conversation_id, operator_id):
        session.add(
            ConversationOperator(
                conversation_id=conversation_id, operator_id=operator_id, since=utcnow()
            )
        )
        await session.flush()
