"""Queue and assignment: a conversation waits in its line's queue and goes to the
least-loaded available operator of the line with room under their ``chat_capacity``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.store.models import Conversation, Operator, OperatorLine, OperatorPresence, utcnow
from marketdesk.store.rows import write_changes

from .. import chat_access as access
from . import sla
from .checks import move_to
from .events import Changes
from .texts import TEXT_ASSIGNED
from .transcript import CONVERSATIONS, system_note

__all__ = [
    "ASSIGN_LOCK_KEY",
    "assign",
    "assign_lock",
    "dispatch_queue",
    "enqueue",
    "has_room",
    "queue_state",
]

ASSIGN_LOCK_KEY = 0x6D647361  # PostgreSQL's advisory lock of the assignment


async def assign_lock(session: AsyncSession) -> None:
    """One assignment at a time (PostgreSQL: an advisory lock; SQLite: the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ASSIGN_LOCK_KEY})


# The line's available operators with their load, in one statement built once: the load is
# counted for these operators only (``ix_conversations_operator``), not for every operator's
# conversations at each handoff. Of the tables' columns, not the mapped classes': a Core
# statement skips the ORM's execution path (a quarter of this read's CPU on SQLite).
_OPERATORS: Table = Operator.__table__  # type: ignore[assignment]
_OPERATOR_LINES: Table = OperatorLine.__table__  # type: ignore[assignment]
_PRESENCE: Table = OperatorPresence.__table__  # type: ignore[assignment]
_LOAD = (
    select(func.count())
    .select_from(CONVERSATIONS)
    .where(
        CONVERSATIONS.c.assigned_operator_id == _OPERATORS.c.id,
        CONVERSATIONS.c.status == S.ASSIGNED,
    )
    .correlate(_OPERATORS)
    .scalar_subquery()
)
_CANDIDATES = (
    select(_OPERATORS.c.id, _OPERATORS.c.chat_capacity, _LOAD.label("load"))
    .join(_OPERATOR_LINES, _OPERATOR_LINES.c.operator_id == _OPERATORS.c.id)
    .join(_PRESENCE, _PRESENCE.c.operator_id == _OPERATORS.c.id)
    .where(
        _OPERATOR_LINES.c.line == bindparam("line", type_=_OPERATOR_LINES.c.line.type),
        _PRESENCE.c.available.is_(True),
        _OPERATORS.c.is_active.is_(True),
        _OPERATORS.c.chat_capacity > 0,
    )
)


async def _pick_operator(session: AsyncSession, line: str) -> int | None:
    """The least-loaded available operator of the line with room under chat_capacity."""
    candidates = (await session.execute(_CANDIDATES, {"line": line})).all()
    free = [(load, op_id) for op_id, capacity, load in candidates if load < capacity]
    return min(free)[1] if free else None


async def has_room(session: AsyncSession, operator: Operator) -> bool:
    load = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.assigned_operator_id == operator.id, Conversation.status == S.ASSIGNED)
    )
    return int(load or 0) < operator.chat_capacity


async def enqueue(
    session: AsyncSession, changes: Changes, conversation: Conversation, *, note: str | None
) -> None:
    """Into its line's queue (with a system note for the customer), then dispatch."""
    previous = queue_state(conversation, utcnow())
    if note:
        await system_note(session, changes, conversation, note)
    changes.changed(conversation, previous)
    # the conversation's changes with one prepared UPDATE, before the dispatch's read
    # (which would flush them through the unit of work: several times the statement's CPU)
    await write_changes(session, conversation)
    await dispatch_queue(session, changes, conversation.line)


def queue_state(conversation: Conversation, now: datetime) -> int | None:
    """The conversation as it joins its line's queue at ``now`` (nobody holds it; its
    service-level clocks start). → the operator who held it, if any."""
    previous = conversation.assigned_operator_id
    move_to(conversation, S.QUEUED)
    conversation.assigned_operator_id = None
    conversation.queued_at = now
    conversation.resolved_at = None
    sla.start_on_handoff(conversation, now)
    return previous


async def assign(
    session: AsyncSession, changes: Changes, conversation: Conversation, operator_id: int
) -> None:
    previous = conversation.assigned_operator_id
    move_to(conversation, S.ASSIGNED)
    conversation.assigned_operator_id = operator_id
    conversation.resolved_at = None
    await session.flush()
    await access.record_operator(session, conversation.id, operator_id)
    changes.changed(conversation, previous)
    await system_note(session, changes, conversation, TEXT_ASSIGNED)


async def dispatch_queue(
    session: AsyncSession, changes: Changes, line: str, *, lock_held: bool = False
) -> list[int]:
    """Assign the line's queued conversations, oldest first, to the least-loaded available
    operators within their capacity. Runs inside the caller's transaction; returns the ids
    of the conversations it assigned. ``lock_held``: the transaction took the assignment's
    lock already (:data:`ASSIGN_LOCK_KEY`)."""
    if not lock_held:
        await assign_lock(session)
    assigned: list[int] = []
    while True:
        operator_id = await _pick_operator(session, line)
        if operator_id is None:
            break
        # SKIP LOCKED: a conversation another transaction is writing to is left to it
        conversation = await session.scalar(
            select(Conversation)
            .where(Conversation.status == S.QUEUED, Conversation.line == line)
            .order_by(Conversation.queued_at, Conversation.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if conversation is None:
            break
        await assign(session, changes, conversation, operator_id)
        assigned.append(conversation.id)
    return assigned
