"""The demo data set from the seeds (``demo/seed.yaml``), loaded once into an empty database."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import tasks as task_rules
from marketdesk.domain.certificates import certificate_money_expires_at
from marketdesk.settings import REPO_ROOT
from marketdesk.store.models import (
    BalanceEntry,
    CouponBan,
    Customer,
    GiftCertificate,
    MetaValue,
    News,
    Operator,
    OperatorLine,
    OperatorRole,
    OperatorSeller,
    Order,
    OrderItem,
    OrderStatusEvent,
    Product,
    ProductNominal,
    Seller,
    Stock,
    Task,
    TaskEvent,
    TravelProfile,
    Warehouse,
    utcnow,
)

from .auth import hash_password
from .promotions import normalize_title
from .tasks import task_number

__all__ = [
    "DEMO_FILE",
    "DemoDataInvalid",
    "DemoLoadResult",
    "check_demo_data",
    "demo_loaded",
    "load_demo",
]

DEMO_FILE = REPO_ROOT / "demo" / "seed.yaml"
DEMO_MARKER = "demo_loaded_at"
_MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True)
class DemoLoadResult:
    loaded: bool
    operator_logins: tuple[str, ...]
    password: str | None  # set only when it was generated here (print it once)


class DemoDataInvalid(ValueError):
    """The demo file contradicts itself; nothing was loaded."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the demo data contradicts itself:\n- " + "\n- ".join(problems))
        self.problems = problems


def check_demo_data(data: dict[str, Any]) -> list[str]:
    """What in the demo data set contradicts itself, one line per problem (empty: none).

    The card shows the same facts in several places, so the data must agree with itself:
    every rouble from a gift certificate comes with an activated certificate of that nominal
    (the card lists the customer's certificates), and declared order statistics
    (``order_stats``, as the seed's card shows them) match the orders listed."""
    problems: list[str] = []
    for item in data.get("customers", []):
        who = f"customer {item.get('id')}"
        from_certificates: Counter[int] = Counter()
        for kind, entries in (item.get("balances") or {}).items():
            for amount, source in entries:
                if source != "certificate":
                    continue
                if kind != "rubles":
                    problems.append(f"{who}: money from a certificate is rubles, not {kind}")
                from_certificates[_kopecks(amount)] += 1
        certificates = Counter(_kopecks(c["nominal"]) for c in item.get("certificates", []))
        if from_certificates != certificates:
            problems.append(
                f"{who}: balance from certificates {sorted(from_certificates.elements())} "
                f"does not match the activated certificates {sorted(certificates.elements())}"
            )
        if stats := item.get("order_stats"):
            statuses = Counter(order["status"] for order in item.get("orders", []))
            actual = {
                "total": sum(statuses.values()),
                "completed": statuses["completed"],
                "cancelled": statuses["cancelled"],
            }
            for key, value in stats.items():
                if actual.get(key) != value:
                    problems.append(
                        f"{who}: order_stats.{key} is {value}, the orders give {actual.get(key)}"
                    )
        for order in item.get("orders", []):
            if items := order.get("items"):
                summed = sum(_kopecks(i["price"]) * int(i.get("quantity", 1)) for i in items)
                if summed != _kopecks(order["total"]):
                    problems.append(
                        f"{who}: order {order['number']} totals {order['total']}, "
                        f"its items {summed / 100:g}"
                    )
    for task in data.get("tasks", []):
        if task.get("queue") not in task_rules.QUEUES:
            problems.append(f"task «{task.get('title')}»: no queue {task.get('queue')!r}")
    return problems


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
    if problems := check_demo_data(data):
        raise DemoDataInvalid(problems)
    generated = password is None
    password = password or secrets.token_urlsafe(12)

    sellers = {name: Seller(name=name, created_at=now) for name in data["sellers"]}
    warehouses = {name: Warehouse(name=name) for name in data["warehouses"]}
    session.add_all([*sellers.values(), *warehouses.values()])
    await session.flush()
    await _load_products(session, data["products"], sellers, now)
    _load_stock_and_nominals(session, data["products"], warehouses)
    await _load_customers(session, data["customers"], now)
    logins = await _load_operators(session, data["operators"], hash_password(password), now)
    await _link_sellers(session, data["operators"], sellers)
    await _load_tasks(session, data.get("tasks", []), now)
    _load_news(session, data["news"])
    session.add(MetaValue(key=DEMO_MARKER, value=now.isoformat()))
    await session.commit()
    return DemoLoadResult(True, tuple(logins), password if generated else None)


async def _load_products(
    session: AsyncSession, items: list[dict[str, Any]], sellers: dict[str, Seller], now: datetime
) -> None:
    for item in items:
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


def _load_stock_and_nominals(
    session: AsyncSession, items: list[dict[str, Any]], warehouses: dict[str, Warehouse]
) -> None:
    for item in items:
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


async def _load_customers(
    session: AsyncSession, items: list[dict[str, Any]], now: datetime
) -> None:
    """The customers, then each one's orders, certificates, balance, travel profile and ban."""
    for item in items:
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
    for item in items:
        orders = _orders(item, now)
        session.add_all([order for order, _, _ in orders])
        await session.flush()
        for order, lines, history in orders:
            for line in lines:
                line.order_id = order.id
            for event in history:
                event.order_id = order.id
            session.add_all([*lines, *history])
        certificates = [_demo_certificate(item["id"], c, now) for c in item.get("certificates", [])]
        session.add_all(certificates)
        await session.flush()
        session.add_all(_balance_entries(item, certificates, now))
        if travel := item.get("travel"):
            session.add(_travel_profile(item["id"], travel, now))
        if ban := item.get("coupon_ban"):
            session.add(_coupon_ban(item["id"], ban, now))


def _orders(
    item: dict[str, Any], now: datetime
) -> list[tuple[Order, list[OrderItem], list[OrderStatusEvent]]]:
    """Each order of the customer with its items and its status history (unsaved)."""
    orders = []
    for data in item.get("orders", []):
        created = now - timedelta(days=data["age_days"])
        order = Order(
            number=data["number"],
            customer_id=item["id"],
            status=data["status"],
            delivery_type=data["delivery"],
            created_at=created,
            total=_kopecks(data["total"]),
            payment_method=data.get("payment"),
        )
        items = [
            OrderItem(
                product_id=i["product"],
                name=i["name"],
                quantity=int(i.get("quantity", 1)),
                price=_kopecks(i["price"]),
            )
            for i in data.get("items", [])
        ]
        history = [
            OrderStatusEvent(status=status, at=at)
            for status, at in _demo_history(data["status"], data["delivery"], created, now)
        ]
        orders.append((order, items, history))
    return orders


# demo: the seed shows an order's current status only; the history is made up along the usual
# path (hours and days after the order), never later than now
_DEMO_PATH = ("created", "processing", "in_delivery", "ready_for_pickup", "completed")
_DEMO_AFTER = {
    "processing": timedelta(hours=1),
    "in_delivery": timedelta(days=1),
    "ready_for_pickup": timedelta(days=3),
    "completed": timedelta(days=4),
    "cancelled": timedelta(hours=5),
}


def _demo_history(
    status: str, delivery: str, created: datetime, now: datetime
) -> list[tuple[str, datetime]]:
    if status == "cancelled":
        path = ["created", "cancelled"]
    else:
        path = list(_DEMO_PATH[: _DEMO_PATH.index(status) + 1])
        if status == "completed" and delivery in ("courier", "post", "digital"):
            path.remove("ready_for_pickup")
    latest = now - timedelta(minutes=1)
    return [(s, min(created + _DEMO_AFTER.get(s, timedelta()), latest)) for s in path]


def _balance_entries(
    item: dict[str, Any], certificates: list[GiftCertificate], now: datetime
) -> list[BalanceEntry]:
    """The customer's balance; money from a certificate refers to its certificate."""
    unpaired = list(certificates)
    entries = []
    for kind, rows in (item.get("balances") or {}).items():
        for amount, source in rows:
            entry = BalanceEntry(
                customer_id=item["id"],
                kind=kind,
                amount=_kopecks(amount),
                source=source,
                created_at=now,
            )
            if source == "certificate":  # check_demo_data paired each with a certificate
                certificate = next(c for c in unpaired if c.nominal == entry.amount)
                unpaired.remove(certificate)
                entry.reference = f"certificate:{certificate.id}"
                entry.created_at = certificate.activated_at or now
                entry.expires_at = certificate_money_expires_at(entry.created_at)
            entries.append(entry)
    return entries


def _travel_profile(customer_id: int, travel: dict[str, Any], now: datetime) -> TravelProfile:
    return TravelProfile(
        customer_id=customer_id,
        has_hotel_booking=bool(travel.get("has_hotel_booking", False)),
        is_corporate=bool(travel.get("is_corporate", False)),
        package=travel.get("package"),
        updated_at=now,
    )


def _coupon_ban(customer_id: int, ban: dict[str, Any], now: datetime) -> CouponBan:
    return CouponBan(
        customer_id=customer_id,
        intersections=ban["intersections"],
        linked_customer_ids=list(ban.get("linked", [])),
        created_at=now,
    )


async def _load_operators(
    session: AsyncSession, items: list[dict[str, Any]], password_hash: str, now: datetime
) -> list[str]:
    """The demo operators, all with the same password; returns their logins."""
    logins = []
    for item in items:
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
    return logins


async def _link_sellers(
    session: AsyncSession, items: list[dict[str, Any]], sellers: dict[str, Seller]
) -> None:
    """The accounts that answer for sellers in the buyer ↔ seller chat (``sellers:`` of an
    operator in the demo data: the demo's ``sellers`` login)."""
    staff = {o.login: o.id for o in await session.scalars(select(Operator))}
    session.add_all(
        OperatorSeller(operator_id=staff[item["login"]], seller_id=sellers[name].id)
        for item in items
        for name in item.get("sellers", [])
    )


async def _load_tasks(session: AsyncSession, items: list[dict[str, Any]], now: datetime) -> None:
    """The demo's open back-office tasks, with deadlines by their queues' rules."""
    staff = {o.login: o.id for o in await session.scalars(select(Operator))}
    for item in items:
        spec = task_rules.queue_spec(item["queue"])
        created = now - timedelta(hours=item["age_hours"])
        task = Task(
            number=f"tmp-{secrets.token_hex(8)}",
            queue=spec.path,
            title=item["title"],
            status=item.get("status", "new"),
            priority=str(task_rules.TaskPriority.NORMAL),
            assignee_id=staff.get(item.get("assignee", "")),
            customer_id=item.get("customer"),
            order_number=item.get("order"),
            product_id=item.get("product"),
            created_at=created,
            updated_at=created,
            deadline_at=task_rules.deadline_for(spec, created, task_rules.MOSCOW_BUSINESS_HOURS),
        )
        session.add(task)
        await session.flush()
        task.number = task_number(task.id)
        session.add(
            TaskEvent(task_id=task.id, kind="created", at=created, details={"queue": spec.path})
        )


def _load_news(session: AsyncSession, items: list[dict[str, Any]]) -> None:
    for item in items:
        session.add(
            News(
                kind=item.get("kind", "promotion"),
                title=item["title"],
                title_search=normalize_title(item["title"]),
                body=item.get("body", ""),
                category=item["category"],
                created_at=_moscow(item["created"]),
                edited_at=_moscow(item["edited"]) if item.get("edited") else None,
                starts_on=item.get("starts_on"),
                ends_on=item.get("ends_on"),
                urgent=bool(item.get("urgent", False)),
                mandatory=bool(item.get("mandatory", False)),
            )
        )


def _demo_certificate(customer_id: int, item: dict[str, Any], now: datetime) -> GiftCertificate:
    """An activated certificate of the demo. Its code is random and thrown away: nobody can
    activate it again, and the card shows its last characters as for any other."""
    code = secrets.token_hex(10).upper()
    activated = now - timedelta(days=item.get("activated_days_ago", 0))
    return GiftCertificate(
        code_hash=secrets.token_hex(32),
        code_tail=code[-4:],
        nominal=_kopecks(item["nominal"]),
        kind=item.get("kind", "electronic"),
        status="activated",
        issued_at=activated,
        activated_at=activated,
        activated_by=customer_id,
    )


async def operator_logins(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Operator.login).order_by(Operator.id)))
