"""Claiming the due rows of an outbox (the channels' deliveries, the notifications, the
webhooks' deliveries): any number of workers share them, and each row goes to one.

Two statements in the caller's transaction: the ids first (``SELECT … ORDER BY id LIMIT n
FOR UPDATE SKIP LOCKED`` on PostgreSQL: rows another worker holds are passed over; on SQLite
the caller holds the write lock), then ``UPDATE … WHERE id IN (…) AND <due> RETURNING``,
which leases them (``next_attempt_at`` at the lease's end, one attempt more). Not one
``UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``: PostgreSQL does not hold
the ``LIMIT`` inside it, and claimed every due row. The caller commits (and sends only after
its commit), so a worker that dies with rows leased leaves them for the lease's end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Result, select, update
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["claim_due"]


async def claim_due(
    session: AsyncSession,
    model: Any,
    *,
    conditions: Sequence[ColumnElement[bool]],
    due: ColumnElement[bool],
    batch: int,
    lease_until: datetime,
    returning: Sequence[Any],
) -> Result[Any] | None:
    """Lease up to ``batch`` rows of ``model`` (a table with ``id``, ``attempts`` and
    ``next_attempt_at``) that meet ``conditions``, oldest first; ``due`` is checked again
    by the lease's ``UPDATE``. → the leased rows as ``returning`` names them, or None when
    none was due."""
    chosen = list(
        await session.scalars(
            select(model.id)
            .where(*conditions)
            .order_by(model.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    if not chosen:
        return None
    return await session.execute(
        update(model)
        .where(model.id.in_(chosen), due)
        .values(next_attempt_at=lease_until, attempts=model.attempts + 1)
        .returning(*returning)
        .execution_options(synchronize_session=False)
    )
