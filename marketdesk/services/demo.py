"""The demo data set from the seeds (``demo/seed.yaml``), loaded once into an empty database."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.settings import REPO_ROOT
from marketdesk.store.models import (
    BalanceEntry,
    CouponBan,
    Customer,
    MetaValue,
    News,
    Operator,
    OperatorLine,
    OperatorRole,
    Order,
    Product,
    ProductNominal,
    Seller,
    Stock,
    TravelProfile,
    Warehouse,
    utcnow,
)

from .auth import hash_password
from .promotions import normalize_title

__all__ = ["DEMO_FILE", "DemoLoadResult", "demo_loaded", "load_demo"]

DEMO_FILE = REPO_ROOT / "demo" / "seed.yaml"
DEMO_MARKER = "demo_loaded_at"
_MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True)
class DemoLoadResult:
    loaded: bool
    operator_logins: tuple[str, ...]
    password: str | None  # set only when it was generated here (print it once)


def _kopecks(rubles: float | int) -> int:
    return round(rubles * 100)


def _moscow(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=_MOSCOW).astimezone(UTC)


async def demo_loaded(session: AsyncSession) -> bool:
    return await session.get(MetaValue, DEMO_MARKER) is not None


async def load_demo(
    session: AsyncSession,
    *,
    password: str | None = None,
    path: Path = DEMO_FILE,
    now: datetime | None = None,
) -> DemoLoadResult:
    """Load the seed data set unless it is already there. Returns the generated password
    of the demo operators when none was given."""
    if await demo_loaded(session):
        return DemoLoadResult(False, (), None)
    now = now or utcnow()
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))  # noqa: ASYNC240 (small file, read once)
    generated = password is None
    password = password or secrets.token_urlsafe(12)

    sellers = {name: Seller(name=name, created_at=now) for name in data["sellers"]}
    warehouses = {name: Warehouse(name=name) for name in data["warehouses"]}
    session.add_all([*sellers.values(), *warehouses.values()])
    await session.flush()

    for item in data["products"]:
        dims = item.get("package_mm") or [None, None, None]
        session.add(
            Product(
                id=item["id"],
                name=item["name"],
                seller_id=sellers[item["seller"]].id,
                category_path=item["category_path"],
                sale_scheme=item["sale_scheme"],
                goods_group=item.get("goods_group", "other"),
                special_category=item.get("special_category"),
                attributes=[[str(n), str(v)] for n, v in item.get("attributes", [])],
                price=_kopecks(item["price"]),
                discount=_kopecks(item.get("discount", 0)),
                markdown_grade=item.get("markdown_grade"),
                markdown_reason=item.get("markdown_reason"),
                package_length_mm=dims[0],
                package_width_mm=dims[1],
                package_height_mm=dims[2],
                weight_g=item.get("weight_g"),
                return_check_days=item.get("return_check_days"),
                return_days=item.get("return_days"),
                warranty_months=item.get("warranty_months"),
                created_at=now,
            )
        )
    await session.flush()
    for item in data["products"]:
        for warehouse, quantity in (item.get("stock") or {}).items():
            session.add(
                Stock(
                    product_id=item["id"],
                    warehouse_id=warehouses[warehouse].id,
                    quantity=quantity,
                )
            )
        for nominal in item.get("nominals", []):
            session.add(ProductNominal(product_id=item["id"], nominal=_kopecks(nominal)))

    for item in data["customers"]:
        session.add(
            Customer(
                id=item["id"],
                full_name=item["full_name"],
                registered_on=date.fromisoformat(str(item["registered_on"])),
                birth_date=item.get("birth_date"),
                phone=item.get("phone"),
                email=item.get("email"),
                timezone=item.get("timezone", "Europe/Moscow"),
                kind=item.get("kind", "individual"),
                company_name=item.get("company_name"),
                profitability=item.get("profitability", "medium"),
                created_at=now,
            )
        )
    await session.flush()
    for item in data["customers"]:
        for order in item.get("orders", []):
            session.add(
                Order(
                    number=order["number"],
                    customer_id=item["id"],
                    status=order["status"],
                    delivery_type=order["delivery"],
                    created_at=now - timedelta(days=order["age_days"]),
                    total=_kopecks(order["total"]),
                )
            )
        for kind, entries in (item.get("balances") or {}).items():
            for amount, source in entries:
                expires = now + timedelta(days=3 * 365) if source == "certificate" else None
                session.add(
                    BalanceEntry(
                        customer_id=item["id"],
                        kind=kind,
                        amount=_kopecks(amount),
                        source=source,
                        created_at=now,
                        expires_at=expires,
                    )
                )
        if travel := item.get("travel"):
            session.add(
                TravelProfile(
                    customer_id=item["id"],
                    has_hotel_booking=bool(travel.get("has_hotel_booking", False)),
                    is_corporate=bool(travel.get("is_corporate", False)),
                    package=travel.get("package"),
                    updated_at=now,
                )
            )
        if ban := item.get("coupon_ban"):
            session.add(
                CouponBan(
                    customer_id=item["id"],
                    intersections=ban["intersections"],
                    linked_customer_ids=list(ban.get("linked", [])),
                    created_at=now,
                )
            )

    password_hash = hash_password(password)
    logins = []
    for item in data["operators"]:
        operator = Operator(
            login=item["login"],
            password_hash=password_hash,
            full_name=item["full_name"],
            chat_capacity=item.get("capacity", 3),
            created_at=now,
        )
        session.add(operator)
        await session.flush()
        session.add_all(OperatorRole(operator_id=operator.id, role=r) for r in item["roles"])
        session.add_all(OperatorLine(operator_id=operator.id, line=ln) for ln in item["lines"])
        logins.append(item["login"])

    for item in data["news"]:
        created = _moscow(item["created"])
        session.add(
            News(
                kind=item.get("kind", "promotion"),
                title=item["title"],
                title_search=normalize_title(item["title"]),
                body=item.get("body", ""),
                category=item["category"],
                created_at=created,
                edited_at=_moscow(item["edited"]) if item.get("edited") else None,
                starts_on=item.get("starts_on"),
                ends_on=item.get("ends_on"),
                urgent=bool(item.get("urgent", False)),
                mandatory=bool(item.get("mandatory", False)),
            )
        )
    session.add(MetaValue(key=DEMO_MARKER, value=now.isoformat()))
    await session.commit()
    return DemoLoadResult(True, tuple(logins), password if generated else None)


async def operator_logins(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Operator.login).order_by(Operator.id)))
