"""Generated volume for benchmarks: ``marketdesk demo load --scale N`` adds N customers with
orders and balances, N/2 products with stock, and N/100 news items. Deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import (
    BalanceEntry,
    CouponBan,
    Customer,
    News,
    Order,
    OrderItem,
    Product,
    Seller,
    Stock,
    Warehouse,
    utcnow,
)

from .promotions import normalize_title

__all__ = ["ScaleResult", "generate", "product_count", "progress_total"]

BATCH = 5_000
CUSTOMER_ID_BASE = 100_000_000
PRODUCT_ID_BASE = 900_000_000

_FIRST = [
    "Александр",
    "Мария",
    "Иван",
    "Анна",
    "Сергей",
    "Ольга",
    "Дмитрий",
    "Елена",
    "Павел",
    "Наталья",
    "Андрей",
    "Татьяна",
    "Михаил",
    "Ирина",
    "Николай",
    "Светлана",
]
_LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
]
_ZONES = [
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Vladivostok",
    "Europe/Kaliningrad",
]
_GOODS = [
    ("Беспроводные наушники", "EPG > Электроника > Наушники, гарнитура > Наушники", "electronics"),
    ("Смартфон", "EPG > Электроника > Телефоны и смарт-часы > Смартфоны", "electronics"),
    ("Чайник электрический", "EPG > Бытовая техника > Техника для кухни > Чайники", "appliances"),
    ("Пылесос", "EPG > Бытовая техника > Техника для дома > Пылесосы", "appliances"),
    ("Футболка", "EPG > Одежда > Женская одежда > Футболки", "other"),
    ("Кроссовки", "EPG > Обувь > Мужская обувь > Кроссовки", "other"),
    ("Конструктор", "EPG > Детские товары > Игрушки > Конструкторы", "other"),
    ("Кофе в капсулах", "EPG > Продукты питания > Кофе и чай > Кофе", "food"),
    ("Подгузники", "EPG > Детские товары > Гигиена > Подгузники", "personal_hygiene"),
    ("Серьги", "EPG > Ювелирные украшения > Серьги", "jewelry"),
    ("Сковорода", "EPG > Дом и сад > Посуда > Сковороды", "other"),
    ("Рюкзак", "EPG > Аксессуары > Сумки и рюкзаки > Рюкзаки", "other"),
]
_BRANDS = [
    "Xiaomi",
    "Redmi",
    "Haylou",
    "Samsung",
    "Tefal",
    "Polaris",
    "LEGO",
    "Nike",
    "Adidas",
    "Bork",
    "Philips",
    "Scarlett",
    "Starbucks",
    "Pampers",
    "SOKOLOV",
    "Ozon Home",
]
_COLORS = ["черный", "белый", "красный", "синий", "зелёный", "серый", "розовый", "бежевый"]
_SCHEMES = ["retail", "fbo", "fbo", "fbs", "fbs", "rfbs", "crossborder"]
_STATUSES = ["completed"] * 7 + ["cancelled"] * 2 + ["in_delivery", "processing"]
_DELIVERY = ["pickup_point"] * 5 + ["courier", "courier", "postamat", "post"]
_NEWS_CATEGORIES = [
    "Комплекты",
    "Скидки",
    "Акции с промокодом",
    "Купоны",
    "Сэмплы",
    "Бесплатная доставка",
    "Баллы за опрос, отзыв",
]


def product_count(n: int) -> int:
    return max(100, n // 2)


def progress_total(n: int) -> int:
    """Units ``progress`` is called with in all: products, then customers."""
    return product_count(n) + n


@dataclass(frozen=True)
class ScaleResult:
    customers: int
    orders: int
    products: int
    stock_rows: int
    news: int


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _next_id(session: AsyncSession, column: Any, floor: int) -> int:
    current = await session.scalar(select(func.max(column)))
    return max(int(current or 0) + 1, floor)


async def generate(
    session: AsyncSession,
    n: int,
    *,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ScaleResult:
    """Insert generated data in batches (one transaction per batch). ``progress`` is called
    with the number of products or customers done since the previous call."""
    if n < 1:
        raise ValueError("scale must be at least 1")
    rnd = random.Random(seed)
    now = now or utcnow()
    tick = progress or (lambda _: None)

    warehouses = list(await session.scalars(select(Warehouse.id)))
    if not warehouses:
        raise RuntimeError("load the demo data set first: it creates the warehouses")
    sellers = await _ensure_sellers(session, now)
    products = await _insert_products(
        session, rnd, product_count(n), sellers=sellers, warehouses=warehouses, now=now, tick=tick
    )
    orders_total = await _insert_customers(session, rnd, n, products, now=now, tick=tick)
    n_news = await _insert_news(session, rnd, max(10, n // 100), now=now)
    if session.get_bind().dialect.name == "postgresql":
        await _move_order_sequence(session)
    return ScaleResult(n, orders_total, products.count, products.stock_rows, n_news)


async def _ensure_sellers(session: AsyncSession, now: datetime) -> list[int]:
    """The sellers' ids, with new sellers added up to 50."""
    sellers = list(await session.scalars(select(Seller.id)))
    for i in range(max(0, 50 - len(sellers))):
        seller = Seller(name=f"Магазин {len(sellers) + i + 1}", created_at=now)
        session.add(seller)
        await session.flush()
        sellers.append(seller.id)
    await session.commit()
    return sellers


@dataclass(frozen=True)
class _Products:
    """The products generated: ids ``first .. first + count - 1``, their prices in order."""

    first: int
    count: int
    prices: list[int]
    stock_rows: int


async def _insert_products(
    session: AsyncSession,
    rnd: random.Random,
    n_products: int,
    *,
    sellers: list[int],
    warehouses: list[int],
    now: datetime,
    tick: Callable[[int], None],
) -> _Products:
    """Products and their stock."""
    first_product = await _next_id(session, Product.id, PRODUCT_ID_BASE)
    stock_rows = 0
    product_prices: list[int] = []
    for batch_ids in _chunks(range(first_product, first_product + n_products)):
        products, stock = [], []
        for pid in batch_ids:
            product = _product_row(rnd, pid, sellers, now)
            product_prices.append(product["price"])
            products.append(product)
            stock.extend(_stock_rows(rnd, pid, warehouses))
        await session.execute(insert(Product), products)
        await session.execute(insert(Stock), stock)
        await session.commit()
        stock_rows += len(stock)
        tick(len(batch_ids))
    return _Products(first_product, n_products, product_prices, stock_rows)


def _product_row(rnd: random.Random, pid: int, sellers: list[int], now: datetime) -> dict[str, Any]:
    kind, category, group = rnd.choice(_GOODS)
    brand = rnd.choice(_BRANDS)
    price = rnd.randrange(199, 80_000) * 100
    return {
        "id": pid,
        "name": f"{kind} {brand} {rnd.choice(_COLORS)} {pid % 1000}",
        "seller_id": rnd.choice(sellers),
        "category_path": category,
        "sale_scheme": rnd.choice(_SCHEMES),
        "goods_group": group,
        "special_category": None,
        "attributes": [["Бренд", brand], ["Цвет", rnd.choice(_COLORS)]],
        "price": price,
        "discount": price * rnd.choice([0, 0, 5, 10, 20, 35]) // 100,
        "markdown_grade": None,
        "markdown_reason": None,
        "package_length_mm": rnd.randrange(50, 600),
        "package_width_mm": rnd.randrange(20, 400),
        "package_height_mm": rnd.randrange(10, 300),
        "weight_g": rnd.randrange(20, 15_000),
        "return_check_days": 3,
        "return_days": 7,
        "warranty_months": rnd.choice([None, 6, 12, 24]),
        "created_at": now,
    }


def _stock_rows(rnd: random.Random, pid: int, warehouses: list[int]) -> list[dict[str, Any]]:
    return [
        {"product_id": pid, "warehouse_id": wid, "quantity": rnd.randrange(0, 500)}
        for wid in rnd.sample(warehouses, rnd.randrange(1, len(warehouses) + 1))
    ]


@dataclass
class _CustomerBatch:
    customers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    balances: list[dict[str, Any]] = field(default_factory=list)
    bans: list[dict[str, Any]] = field(default_factory=list)

    async def insert(self, session: AsyncSession) -> None:
        await session.execute(insert(Customer), self.customers)
        if self.orders:
            await session.execute(insert(Order), self.orders)
            await session.execute(insert(OrderItem), self.items)
        if self.balances:
            await session.execute(insert(BalanceEntry), self.balances)
        if self.bans:
            await session.execute(insert(CouponBan), self.bans)


async def _insert_customers(
    session: AsyncSession,
    rnd: random.Random,
    n: int,
    products: _Products,
    *,
    now: datetime,
    tick: Callable[[int], None],
) -> int:
    """Customers with orders, balances and a few coupon bans; returns the orders' count."""
    first_customer = await _next_id(session, Customer.id, CUSTOMER_ID_BASE)
    next_order = await _next_id(session, Order.id, 1)
    orders_total = 0
    for batch_ids in _chunks(range(first_customer, first_customer + n)):
        batch = _CustomerBatch()
        for cid in batch_ids:
            batch.customers.append(_customer_row(rnd, cid, now))
            next_order = _add_orders(batch, rnd, cid, next_order, products, now)
            if rnd.random() < 0.3:
                batch.balances.append(_balance_row(rnd, cid, now))
            if rnd.random() < 0.01:
                batch.bans.append(_ban_row(rnd, cid, now))
        await batch.insert(session)
        await session.commit()
        orders_total += len(batch.orders)
        tick(len(batch_ids))
    return orders_total


def _customer_row(rnd: random.Random, cid: int, now: datetime) -> dict[str, Any]:
    return {
        "id": cid,
        "full_name": f"{rnd.choice(_LAST)} {rnd.choice(_FIRST)}",
        "registered_on": date(2015, 1, 1) + timedelta(days=rnd.randrange(0, 3900)),
        "birth_date": None,
        "phone": f"+7999{cid % 10_000_000:07d}",
        "email": f"user{cid}@example.com",
        "timezone": rnd.choice(_ZONES),
        "kind": "individual" if rnd.random() > 0.02 else "legal_entity",
        "company_name": None,
        "profitability": rnd.choice(["low", "medium", "high"]),
        "created_at": now,
    }


def _add_orders(
    batch: _CustomerBatch,
    rnd: random.Random,
    cid: int,
    next_order: int,
    products: _Products,
    now: datetime,
) -> int:
    """Up to ten orders of one item each for the customer; returns the next order id."""
    for k in range(1, rnd.randrange(0, 11) + 1):
        price = rnd.choice(products.prices)
        qty = rnd.randrange(1, 4)
        batch.orders.append(
            {
                "id": next_order,
                "number": f"{cid}-{k:04d}",
                "customer_id": cid,
                "status": rnd.choice(_STATUSES),
                "delivery_type": rnd.choice(_DELIVERY),
                "created_at": now
                - timedelta(days=rnd.randrange(1, 1500), minutes=rnd.randrange(0, 1440)),
                "total": price * qty,
            }
        )
        batch.items.append(
            {
                "order_id": next_order,
                "product_id": products.first + rnd.randrange(products.count),
                "name": "Товар",
                "quantity": qty,
                "price": price,
            }
        )
        next_order += 1
    return next_order


def _balance_row(rnd: random.Random, cid: int, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "kind": rnd.choice(["rubles", "ozon_points"]),
        "amount": rnd.randrange(1, 5000) * 100,
        "source": rnd.choice(["refund", "certificate", "review", "cashback"]),
        "reference": None,
        "created_at": now,
        "expires_at": None,
    }


def _ban_row(rnd: random.Random, cid: int, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "intersections": rnd.randrange(1, 15),
        "linked_customer_ids": [],
        "created_at": now,
        "lifted_at": None,
    }


async def _insert_news(
    session: AsyncSession, rnd: random.Random, n_news: int, *, now: datetime
) -> int:
    news = [_news_row(rnd, i, now) for i in range(n_news)]
    for batch in _batches(iter(news)):
        await session.execute(insert(News), batch)
    await session.commit()
    return n_news


def _news_row(rnd: random.Random, i: int, now: datetime) -> dict[str, Any]:
    title = (
        f"{rnd.choice(['1+1=3', 'Скидка', 'Купон', 'Flash Sale', 'Промокод'])} "
        f"{rnd.choice(_BRANDS)} #{i + 1}"
    )
    created = now - timedelta(days=rnd.randrange(0, 730), minutes=rnd.randrange(0, 1440))
    return {
        "kind": "promotion",
        "title": title,
        "title_search": normalize_title(title),
        "body": "",
        "category": rnd.choice(_NEWS_CATEGORIES),
        "created_at": created,
        "edited_at": None,
        "starts_on": None,
        "ends_on": None,
        "urgent": rnd.random() < 0.05,
        "mandatory": rnd.random() < 0.02,
    }


async def _move_order_sequence(session: AsyncSession) -> None:
    """Explicit order ids were given: move PostgreSQL's sequence past them."""
    await session.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('orders', 'id'), "
            "(SELECT COALESCE(MAX(id), 1) FROM orders))"
        )
    )
    await session.commit()


def _chunks(ids: range, size: int = BATCH) -> Iterator[range]:
    for start in range(ids.start, ids.stop, size):
        yield range(start, min(start + size, ids.stop))
