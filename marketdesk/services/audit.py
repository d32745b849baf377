"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import AuditEntry, utcnow
from marketdesk.store.rows import Follower

from .principals import Principal

__all__ = ["follower", "record", "write"]


_AUDIT_LOG: Table = AuditEntry.__table__  # type: ignore[assignment]
_INSERT = insert(_AUDIT_LOG)


def follower(
    actor: Principal | None,
    action: str,
    *,
    entity_kind: str,
    id_from: str,
    **details: Any,
) -> Follower:
    """An entry written with its entity's row (``store.rows.execute_followed``: on
    PostgreSQL by the same statement), its ``entity_id`` that row's ``id_from`` column."""
    values = _values(actor, action, entity_kind, None, details)
    del values["entity_id"]
    return Follower(_AUDIT_LOG, values, {"entity_id": id_from})


def _values(
    actor: Principal | None,
    action: str,
    entity_kind: str | None,
    entity_id: object,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_kind": actor.kind if actor else "system",
        "actor_id": str(actor.id) if actor else None,
        "action": action,
        "entity_kind": entity_kind,
        "entity_id": None if entity_id is None else str(entity_id),
        "details": details,
    }


def record(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    *,
    entity_kind: str | None = None,
    entity_id: object = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry to the caller's transaction (it commits with the change it records)."""
    entry = AuditEntry(**_values(actor, action, entity_kind, entity_id, details))
    session.add(entry)
    return entry


async def write(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    *,
    entity_kind: str | None = None,
    entity_id: object = None,
    **details: Any,
) -> None:
    """:func:`record` written at once, one prepared ``INSERT`` with no ORM object for the
    flush to sort (the busiest write paths: it shortens the time they hold SQLite's write
    lock). Inside the caller's transaction all the same."""
    await session.execute(_INSERT, _values(actor, action, entity_kind, entity_id, details))
