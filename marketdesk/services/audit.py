"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import AuditEntry, utcnow

from .principals import Principal

__all__ = ["record"]


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
    entry = AuditEntry(
        at=utcnow(),
        actor_kind=actor.kind if actor else "system",
        actor_id=str(actor.id) if actor else None,
        action=action,
        entity_kind=entity_kind,
        entity_id=None if entity_id is None else str(entity_id),
        details=details,
    )
    session.add(entry)
    return entry
