"""The marketplace's data in (issue 16): one call, :func:`sync_batch`, takes a batch of
records of one kind, validates each (``domain/sync.py``), upserts the good ones by the
marketplace's own ids in one transaction, and names each bad one. Re-sending a batch
changes nothing.

One module per job: ``people.py`` (customers, sellers), ``catalog.py`` (products, stock),
``orders.py``, ``money.py`` (balances, certificates), ``common.py`` (upserts, links),
``forget.py`` (the right to be forgotten)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.sync import MAX_BATCH, RecordInvalid, SyncKind, parse_record
from marketdesk.store.models import AuditEntry, utcnow

from ..errors import SyncBatchTooLarge, SyncKindUnknown
from .catalog import store_products, store_stock
from .common import VOCABULARY, Batch
from .forget import ForgetResult, forget_customer
from .money import store_balances, store_certificates
from .orders import store_orders
from .people import store_customers, store_sellers

__all__ = [
    "MAX_BATCH",
    "ForgetResult",
    "RecordError",
    "SyncKind",
    "SyncResult",
    "forget_customer",
    "sync_batch",
    "sync_kind",
]

log = logging.getLogger("marketdesk.sync")

_STORES: Final[Mapping[SyncKind, Callable[[Batch], Awaitable[None]]]] = {
    SyncKind.CUSTOMERS: store_customers,
    SyncKind.SELLERS: store_sellers,
    SyncKind.PRODUCTS: store_products,
    SyncKind.STOCK: store_stock,
    SyncKind.ORDERS: store_orders,
    SyncKind.BALANCES: store_balances,
    SyncKind.CERTIFICATES: store_certificates,
}

CONFLICT_MESSAGE: Final = (
    "Запись противоречит данным, которые уже есть: проверьте её поля и ссылки."
)


@dataclass(frozen=True, slots=True)
class RecordError:
    index: int
    message: str


@dataclass(frozen=True, slots=True)
class SyncResult:
    stored: int
    errors: list[RecordError]
    order_status_changes: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(customer id, order number, old status, new status) of the orders whose status the
    batch changed."""


def sync_kind(name: str) -> SyncKind:
    try:
        return SyncKind(name)
    except ValueError:
        raise SyncKindUnknown(kind=name[:40], kinds=", ".join(k.value for k in SyncKind)) from None


async def _store(
    session: AsyncSession, kind: SyncKind, records: dict[int, object], secret: bytes, now: datetime
) -> Batch:
    batch = Batch(session=session, now=now, secret=secret, records=dict(records))
    await _STORES[kind](batch)
    return batch


async def sync_batch(
    session: AsyncSession,
    kind: SyncKind,
    records: Sequence[object],
    *,
    secret: bytes,
    actor: str,
    now: datetime | None = None,
    first_index: int = 0,
) -> SyncResult:
    """Validate and upsert ``records`` of ``kind`` and commit; the good ones are stored, each
    bad one is named by its index (``first_index`` + its place in ``records``)."""
    if len(records) > MAX_BATCH:
        raise SyncBatchTooLarge(limit=MAX_BATCH, count=len(records))
    now = now or utcnow()
    parsed: dict[int, object] = {}
    errors: dict[int, str] = {}
    for index, raw in enumerate(records):
        try:
            parsed[index] = parse_record(kind, raw, VOCABULARY)
        except RecordInvalid as exc:
            errors[index] = exc.message
    try:
        batch = await _store(session, kind, parsed, secret, now)
        stored, changes = len(batch.records), batch.order_status_changes
        errors.update(batch.errors)
        _audit(session, kind, actor, stored, len(errors), now)
        await session.commit()
    except IntegrityError as exc:  # a conflict the checks did not foresee: record by record
        await session.rollback()
        log.warning("sync %s: batch conflicts (%s); storing record by record", kind, exc.orig)
        stored, changes = await _one_by_one(session, kind, parsed, errors, secret, now)
        _audit(session, kind, actor, stored, len(errors), now)
        await session.commit()
    return SyncResult(
        stored=stored,
        errors=[RecordError(first_index + i, m) for i, m in sorted(errors.items())],
        order_status_changes=changes,
    )


async def _one_by_one(
    session: AsyncSession,
    kind: SyncKind,
    parsed: dict[int, object],
    errors: dict[int, str],
    secret: bytes,
    now: datetime,
) -> tuple[int, list[tuple[int, str, str, str]]]:
    stored = 0
    changes: list[tuple[int, str, str, str]] = []
    for index, record in sorted(parsed.items()):
        try:
            async with session.begin_nested():
                batch = await _store(session, kind, {index: record}, secret, now)
        except IntegrityError:
            errors[index] = CONFLICT_MESSAGE
            continue
        errors.update(batch.errors)
        stored += len(batch.records)
        changes += batch.order_status_changes
    return stored, changes


def _audit(
    session: AsyncSession, kind: SyncKind, actor: str, stored: int, errors: int, now: datetime
) -> None:
    actor_kind, _, actor_id = actor.partition(":")
    session.add(
        AuditEntry(
            at=now,
            actor_kind=actor_kind,
            actor_id=actor_id or None,
            action="sync.batch",
            entity_kind="sync",
            entity_id=kind.value,
            details={"stored": stored, "errors": errors},
        )
    )
