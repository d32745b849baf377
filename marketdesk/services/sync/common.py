"""What the sync's kinds share: the batch's context, dialect-aware upserts, the links between
the marketplace's ids and ours, and reading in chunks (SQLite's bound-parameter limit)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from marketdesk.domain.sync import Vocabulary
from marketdesk.store.models import SyncLink
from marketdesk.store.models.catalog import GOODS_GROUPS
from marketdesk.store.models.values import (
    BALANCE_KINDS,
    BALANCE_SOURCES,
    CERTIFICATE_KINDS,
    CERTIFICATE_STATUSES,
    CUSTOMER_KINDS,
    DELIVERY_TYPES,
    ORDER_STATUSES,
    PROFITABILITY_LEVELS,
    SALE_SCHEMES,
)

__all__ = [
    "CHUNK",
    "VOCABULARY",
    "Batch",
    "chunks",
    "insert_for",
    "link_ids",
    "save_links",
    "upsert",
]

T = TypeVar("T")

CHUNK = 500
"""Ids per ``IN (…)`` and rows per statement: well under SQLite's parameter limit."""

VOCABULARY = Vocabulary(
    customer_kinds=CUSTOMER_KINDS,
    profitability=PROFITABILITY_LEVELS,
    sale_schemes=SALE_SCHEMES,
    goods_groups=GOODS_GROUPS,
    order_statuses=ORDER_STATUSES,
    delivery_types=DELIVERY_TYPES,
    balance_kinds=BALANCE_KINDS,
    balance_sources=BALANCE_SOURCES,
    certificate_kinds=CERTIFICATE_KINDS,
    certificate_statuses=CERTIFICATE_STATUSES,
    timezones=frozenset(available_timezones()),
)


@dataclass
class Batch:
    """One call's records of one kind: the parsed ones by their index in the call, and the
    refusals (index → Russian message) the stores add to."""

    session: AsyncSession
    now: datetime
    secret: bytes
    records: dict[int, Any]
    errors: dict[int, str] = field(default_factory=dict)
    order_status_changes: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(customer id, order number, old status, new status) of the orders that moved."""

    def refuse(self, index: int, message: str) -> None:
        self.errors[index] = message
        self.records.pop(index, None)

    def live(self) -> list[tuple[int, Any]]:
        return sorted(self.records.items())


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_for(session: AsyncSession, table: Any) -> Insert:
    """The dialect's INSERT (with ON CONFLICT) for the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(
    session: AsyncSession,
    table: Any,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Iterable[str],
) -> None:
    """Insert ``rows``, or update ``update``'s columns of the row with the same ``keys``."""
    if not rows:
        return
    columns = list(update)
    for part in chunks(rows):
        statement = insert_for(session, table)
        if columns:
            statement = statement.on_conflict_do_update(  # type: ignore[attr-defined]
                index_elements=list(keys),
                set_={name: statement.excluded[name] for name in columns},  # type: ignore[attr-defined]
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))  # type: ignore[attr-defined]
        await session.execute(statement, list(part))


async def link_ids(session: AsyncSession, kind: str, external: Iterable[str]) -> dict[str, int]:
    """Our ids of the marketplace's ``external`` ids of ``kind`` (those known)."""
    wanted = sorted(set(external))
    found: dict[str, int] = {}
    for part in chunks(wanted):
        rows = await session.execute(
            select(SyncLink.external_id, SyncLink.local_id).where(
                SyncLink.kind == kind, SyncLink.external_id.in_(part)
            )
        )
        found.update({e: int(i) for e, i in rows})
    return found


async def save_links(session: AsyncSession, kind: str, pairs: dict[str, int]) -> None:
    rows = [{"kind": kind, "external_id": e, "local_id": i} for e, i in pairs.items()]
    await upsert(session, SyncLink.__table__, rows, ("kind", "external_id"), ())


async def existing(session: AsyncSession, column: Any, values: Iterable[Any]) -> set[Any]:
    """Which of ``values`` are in ``column``."""
    wanted = sorted(set(values))
    found: set[Any] = set()
    for part in chunks(wanted):
        found.update(await session.scalars(select(column).where(column.in_(part))))
    return found
