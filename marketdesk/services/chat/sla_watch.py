"""The SLA timer's round over the chat: warnings before a clock runs out, breaches after.

A round reads the running clocks of the conversations a person holds or awaits (a few
columns, no lock), works out in Python which clocks turned at risk or ran out
(``domain.sla``), and records each once: a warning in ``sla_warnings``, a breach in
``sla_breaches`` (``INSERT … ON CONFLICT DO NOTHING RETURNING``: of several server
processes, the one whose row went in publishes). After the commit, an ``sla`` event goes
over the operator socket to the assigned operator and to every active supervisor and
admin (their ``operator:{id}`` channels)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.roles import SUPERVISOR_ROLES
from marketdesk.domain.sla import SlaKind, SlaState
from marketdesk.store.models import (
    Conversation,
    Operator,
    OperatorRole,
    SlaBreach,
    SlaWarning,
    utcnow,
)

from . import sla
from .events import Publisher, operator_channel

__all__ = ["SlaRound", "supervisor_ids", "watch_round"]

_COLUMNS = (
    Conversation.id,
    Conversation.line,
    Conversation.channel,
    Conversation.status,
    Conversation.assigned_operator_id,
    Conversation.first_response_due_at,
    Conversation.next_response_due_at,
    Conversation.resolution_due_at,
)


@dataclass(slots=True)
class SlaRound:
    """What a round recorded: (conversation id, kind) of each warning and breach."""

    warnings: list[tuple[int, str]] = field(default_factory=list)
    breaches: list[tuple[int, str]] = field(default_factory=list)


async def supervisor_ids(session: AsyncSession) -> list[int]:
    """The active supervisors and admins (they hear of every line's clocks)."""
    rows = await session.scalars(
        select(Operator.id)
        .join(OperatorRole, OperatorRole.operator_id == Operator.id)
        .where(OperatorRole.role.in_(sorted(SUPERVISOR_ROLES)), Operator.is_active.is_(True))
        .distinct()
    )
    return sorted(int(i) for i in rows)


async def _recorded(
    session: AsyncSession, model: Any, ids: list[int]
) -> set[tuple[int, str, datetime]]:
    found: set[tuple[int, str, datetime]] = set()
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(model.conversation_id, model.kind, model.due_at).where(
                model.conversation_id.in_(ids[start : start + 500])
            )
        )
        found |= {(int(c), str(k), d) for c, k, d in rows}
    return found


async def _insert_once(session: AsyncSession, table: Table, row: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    inserted = await session.scalar(
        sla.insert_ignoring_duplicates(dialect, table).values(**row).returning(table.c.id)
    )
    return inserted is not None


async def watch_round(
    session: AsyncSession, publish: Publisher, *, now: datetime | None = None
) -> SlaRound:
    """One round (see the module); ``now`` is a parameter so that tests control the clock."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(*_COLUMNS).where(
                Conversation.status.in_([S.QUEUED.value, S.ASSIGNED.value]),
                (Conversation.first_response_due_at.is_not(None))
                | (Conversation.next_response_due_at.is_not(None))
                | (Conversation.resolution_due_at.is_not(None)),
            )
        )
    ).all()
    due: list[tuple[Any, SlaKind, datetime, SlaState]] = []
    for row in rows:
        for clock in sla.clocks(row, now).clocks:
            if clock.state is not SlaState.OK:
                due.append((row, clock.kind, clock.due_at, clock.state))
    result = SlaRound()
    if not due:
        await session.rollback()
        return result
    ids = sorted({row.id for row, *_ in due})
    warned = await _recorded(session, SlaWarning, ids)
    breached = await _recorded(session, SlaBreach, ids)
    events: list[tuple[Any, SlaKind, datetime, SlaState]] = []
    for row, kind, at, state in due:
        key = (row.id, kind.value, at)
        if state is SlaState.BREACHED and key not in breached:
            record = sla.breach_rows(row.id, [(kind, at)], row.assigned_operator_id, now)[0]
            if await _insert_once(session, SlaBreach.__table__, record):  # type: ignore[arg-type]
                result.breaches.append((row.id, kind.value))
                events.append((row, kind, at, state))
        elif state is SlaState.AT_RISK and key not in warned:
            record = {"conversation_id": row.id, "kind": kind.value, "due_at": at, "warned_at": now}
            if await _insert_once(session, SlaWarning.__table__, record):  # type: ignore[arg-type]
                result.warnings.append((row.id, kind.value))
                events.append((row, kind, at, state))
    supervisors = await supervisor_ids(session) if events else []
    await session.commit()
    for row, kind, at, state in events:
        await publish(*_sla_event(row, kind, at, state, supervisors))
    return result


def _sla_event(
    row: Any, kind: SlaKind, due_at: datetime, state: SlaState, supervisors: Iterable[int]
) -> tuple[list[str], dict[str, Any]]:
    to = set(supervisors)
    if row.assigned_operator_id is not None:
        to.add(int(row.assigned_operator_id))
    word = "истёк" if state is SlaState.BREACHED else "истекает"
    event = {
        "type": "sla",
        "conversation_id": row.id,
        "line": row.line,
        "kind": kind.value,
        "kind_title": kind.title_ru,
        "state": state.value,
        "due_at": due_at.isoformat(),
        "text": f"Диалог №{row.id}: срок «{kind.title_ru}» {word}.",
    }
    return [operator_channel(i) for i in sorted(to)], event
