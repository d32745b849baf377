"""Balances (entries with their sources) and gift certificates (codes hashed on arrival)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from marketdesk.domain import certificates as rules
from marketdesk.domain.sync import BalanceRecord, CertificateRecord
from marketdesk.store.models import BalanceEntry, Customer, GiftCertificate

from .common import Batch, chunks, existing, insert_for, link_ids, save_links

__all__ = ["store_balances", "store_certificates"]


def _missing_customer(customer_id: int) -> str:
    return f"Покупатель {customer_id} не найден: сначала передайте его в /sync/customers."


def _refuse_repeats(batch: Batch, what: str) -> None:
    seen: dict[str, int] = {}
    for index, record in batch.live():
        if record.id in seen:
            batch.refuse(index, f"{what} с этим ID уже есть в пакете (запись {seen[record.id]}).")
        seen.setdefault(record.id, index)


async def _insert_linked(
    batch: Batch, kind: str, table: Any, rows: list[tuple[str, dict[str, Any]]]
) -> None:
    """Insert new rows and link each to the marketplace's id."""
    links: dict[str, int] = {}
    for part in chunks(rows):
        statement = insert_for(batch.session, table).returning(
            table.c.id, sort_by_parameter_order=True
        )
        result = await batch.session.execute(statement, [row for _, row in part])
        links.update(
            {external: int(i) for (external, _), i in zip(part, result.scalars(), strict=True)}
        )
    await save_links(batch.session, kind, links)


async def _update_linked(batch: Batch, table: Any, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Update rows by our id; rows with the same columns go in one statement."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for local, row in rows:
        groups.setdefault(tuple(sorted(row)), []).append({"_id": local, **row})
    for changes in groups.values():
        for part in chunks(changes):
            await batch.session.execute(
                update(table).where(table.c.id == bindparam("_id")), list(part)
            )


async def store_certificates(batch: Batch) -> None:
    _refuse_repeats(batch, "Сертификат")
    live = batch.live()
    customers = await existing(
        batch.session, Customer.id, [r.activated_by for _, r in live if r.activated_by]
    )
    linked = await link_ids(batch.session, "certificate", [r.id for _, r in live])
    hashes = {i: rules.hash_certificate_code(r.code, batch.secret) for i, r in live}
    owners: dict[str, int] = {}
    for part in chunks(sorted(set(hashes.values()))):
        rows = await batch.session.execute(
            select(GiftCertificate.code_hash, GiftCertificate.id).where(
                GiftCertificate.code_hash.in_(part)
            )
        )
        owners.update({h: int(i) for h, i in rows})
    seen_hash: dict[str, int] = {}
    for index, record in live:
        owner = owners.get(hashes[index])
        if record.activated_by is not None and record.activated_by not in customers:
            batch.refuse(
                index,
                _missing_customer(record.activated_by),
            )
        elif (owner is not None and owner != linked.get(record.id)) or hashes[index] in seen_hash:
            batch.refuse(index, "Сертификат с таким кодом уже есть.")
        seen_hash.setdefault(hashes[index], index)
    new: list[tuple[str, dict[str, Any]]] = []
    changed: list[tuple[int, dict[str, Any]]] = []
    for index, record in batch.live():
        row = _certificate_row(record, hashes[index], batch)
        if record.id in linked:
            if record.issued_at is None and record.activated_at is None:
                del row["issued_at"]  # as first stored
            changed.append((linked[record.id], row))
        else:
            new.append((record.id, row))
    await _update_linked(batch, GiftCertificate.__table__, changed)
    await _insert_linked(batch, "certificate", GiftCertificate.__table__, new)


def _certificate_row(r: CertificateRecord, code_hash: str, batch: Batch) -> dict[str, Any]:
    normalized = rules.normalize_certificate_code(r.code)
    return {
        "code_hash": code_hash,
        "code_tail": normalized[-4:],
        "nominal": r.nominal,
        "kind": r.kind,
        "status": r.status,
        "issued_at": r.issued_at or r.activated_at or batch.now,
        "expires_at": r.expires_at,
        "activated_at": r.activated_at,
        "activated_by": r.activated_by,
    }


async def store_balances(batch: Batch) -> None:
    """Entries of money or points; money from a certificate refers to it, dates from its
    activation and keeps three years (``domain.certificates``) unless told otherwise."""
    _refuse_repeats(batch, "Запись баланса")
    live = batch.live()
    customers = await existing(batch.session, Customer.id, [r.customer_id for _, r in live])
    certificates = await link_ids(
        batch.session, "certificate", [r.certificate_id for _, r in live if r.certificate_id]
    )
    activated: dict[int, Any] = {}
    for part in chunks(sorted(set(certificates.values()))):
        rows = await batch.session.execute(
            select(GiftCertificate.id, GiftCertificate.activated_at).where(
                GiftCertificate.id.in_(part)
            )
        )
        activated.update({int(i): at for i, at in rows})
    for index, record in live:
        if record.customer_id not in customers:
            batch.refuse(
                index,
                _missing_customer(record.customer_id),
            )
        elif record.certificate_id is not None and record.certificate_id not in certificates:
            batch.refuse(
                index,
                f"Сертификат {record.certificate_id} не найден: "
                "сначала передайте его в /sync/certificates.",
            )
    linked = await link_ids(batch.session, "balance", [r.id for _, r in batch.live()])
    new: list[tuple[str, dict[str, Any]]] = []
    changed: list[tuple[int, dict[str, Any]]] = []
    for _, record in batch.live():
        row = _balance_row(record, certificates, activated, batch)
        if record.id in linked:
            if record.created_at is None and record.certificate_id is None:
                del row["created_at"]  # as first stored
            changed.append((linked[record.id], row))
        else:
            new.append((record.id, row))
    await _update_linked(batch, BalanceEntry.__table__, changed)
    await _insert_linked(batch, "balance", BalanceEntry.__table__, new)


def _balance_row(
    r: BalanceRecord, certificates: dict[str, int], activated: dict[int, Any], batch: Batch
) -> dict[str, Any]:
    reference, created, expires = r.reference, r.created_at, r.expires_at
    if r.certificate_id is not None:
        local = certificates[r.certificate_id]
        reference = f"certificate:{local}"
        created = created or activated.get(local) or batch.now
        if r.source == "certificate" and expires is None:
            expires = rules.certificate_money_expires_at(created)
    return {
        "customer_id": r.customer_id,
        "kind": r.kind,
        "amount": r.amount,
        "source": r.source,
        "reference": reference,
        "created_at": created or batch.now,
        "expires_at": expires,
    }
