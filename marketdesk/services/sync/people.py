"""Customers (with their coupon-ban record and Travel profile) and sellers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from marketdesk.domain.customer_search import name_key
from marketdesk.domain.sync import CustomerRecord, SellerRecord
from marketdesk.store.models import (
    CouponBan,
    Customer,
    CustomerTombstone,
    Seller,
    TravelProfile,
)

from .common import Batch, chunks, existing, upsert

__all__ = ["store_customers", "store_sellers"]

_CUSTOMER_COLUMNS = (
    "full_name",
    "name_key",
    "registered_on",
    "birth_date",
    "phone",
    "email",
    "timezone",
    "kind",
    "company_name",
    "profitability",
)


def _refuse_duplicates(batch: Batch, key: str, message: str) -> None:
    """A later record with the same ``key`` value as an earlier one in the batch is refused."""
    seen: dict[Any, int] = {}
    for index, record in batch.live():
        value = getattr(record, key)
        if value is None:
            continue
        if value in seen:
            batch.refuse(index, message.format(first=seen[value]))
        else:
            seen[value] = index


async def _refuse_taken_phones(batch: Batch) -> None:
    """A phone is one customer's login: a phone another customer has is refused."""
    wanted = {r.phone: (i, r.id) for i, r in batch.live() if r.phone}
    phones = sorted(wanted)
    for part in chunks(phones):
        rows = await batch.session.execute(
            select(Customer.phone, Customer.id).where(Customer.phone.in_(part))
        )
        for phone, owner in rows:
            index, customer_id = wanted[phone]
            if owner != customer_id:
                batch.refuse(index, f"Телефон {phone} — вход другого покупателя (ID {owner}).")


async def store_customers(batch: Batch) -> None:
    _refuse_duplicates(batch, "id", "Покупатель с этим ID уже есть в пакете (запись {first}).")
    _refuse_duplicates(batch, "phone", "Этот телефон уже есть в пакете (запись {first}).")
    session = batch.session
    forgotten = await existing(
        session, CustomerTombstone.customer_id, [r.id for _, r in batch.live()]
    )
    for index, record in batch.live():
        if record.id in forgotten:
            batch.refuse(
                index,
                f"Покупатель {record.id} удалён по праву на забвение: "
                "его персональные данные не принимаются.",
            )
    await _refuse_taken_phones(batch)
    records: list[CustomerRecord] = [r for _, r in batch.live()]
    rows = [
        {
            "id": r.id,
            "full_name": r.full_name,
            "name_key": name_key(r.full_name),
            "registered_on": r.registered_on,
            "birth_date": r.birth_date,
            "phone": r.phone,
            "email": r.email,
            "timezone": r.timezone,
            "kind": r.kind,
            "company_name": r.company_name,
            "profitability": r.profitability,
            "created_at": batch.now,
        }
        for r in records
    ]
    await upsert(session, Customer.__table__, rows, ("id",), _CUSTOMER_COLUMNS)
    await _store_bans(batch, records)
    await _store_travel(batch, records)


async def _store_bans(batch: Batch, records: list[CustomerRecord]) -> None:
    given = [r for r in records if r.coupon_ban_given]
    rows = [
        {
            "customer_id": r.id,
            "intersections": r.coupon_ban[0],
            "linked_customer_ids": list(r.coupon_ban[1]),
            "created_at": batch.now,
        }
        for r in given
        if r.coupon_ban is not None
    ]
    await upsert(
        batch.session,
        CouponBan.__table__,
        rows,
        ("customer_id",),
        ("intersections", "linked_customer_ids"),
    )
    cleared = [r.id for r in given if r.coupon_ban is None]
    for part in chunks(cleared):
        await batch.session.execute(delete(CouponBan).where(CouponBan.customer_id.in_(part)))


async def _store_travel(batch: Batch, records: list[CustomerRecord]) -> None:
    given = [r for r in records if r.travel_given]
    rows = [
        {
            "customer_id": r.id,
            "has_hotel_booking": r.travel[0],
            "is_corporate": r.travel[1],
            "package": r.travel[2],
            "updated_at": batch.now,
        }
        for r in given
        if r.travel is not None
    ]
    await upsert(
        batch.session,
        TravelProfile.__table__,
        rows,
        ("customer_id",),
        ("has_hotel_booking", "is_corporate", "package"),
    )
    cleared = [r.id for r in given if r.travel is None]
    for part in chunks(cleared):
        await batch.session.execute(
            delete(TravelProfile).where(TravelProfile.customer_id.in_(part))
        )


async def store_sellers(batch: Batch) -> None:
    _refuse_duplicates(batch, "id", "Продавец с этим ID уже есть в пакете (запись {first}).")
    _refuse_duplicates(
        batch, "name", "Продавец с этим названием уже есть в пакете (запись {first})."
    )
    wanted: dict[str, tuple[int, SellerRecord]] = {r.name: (i, r) for i, r in batch.live()}
    for part in chunks(sorted(wanted)):
        rows = await batch.session.execute(
            select(Seller.name, Seller.id).where(Seller.name.in_(part))
        )
        for name, owner in rows:
            index, record = wanted[name]
            if owner != record.id:
                batch.refuse(index, f"Название «{name}» уже у продавца с ID {owner}.")
    rows_in = [{"id": r.id, "name": r.name, "created_at": batch.now} for _, r in batch.live()]
    await upsert(batch.session, Seller.__table__, rows_in, ("id",), ("name",))
