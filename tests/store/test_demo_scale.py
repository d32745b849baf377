"""Generated volume for benchmarks: counts, consistency, and a second run that adds more."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from sqlalchemy import func, select

from marketdesk.services.demo import DEMO_FILE
from marketdesk.services.demo_scale import generate, progress_total
from marketdesk.store.db import Database
from marketdesk.store.models import Customer, News, Order, OrderItem, Product, Stock
from tests.conftest import backends, prepare

DEMO = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("backend", backends())
def test_generate_twice_adds_consistent_data(make_database, backend):
    db = make_database(backend)
    prepare(db.url)
    ticks: list[int] = []

    async def main():
        database = Database(db.url)
        try:
            async with database.sessions() as session:
                first = await generate(session, 300, seed=7, progress=ticks.append)
            async with database.sessions() as session:
                second = await generate(session, 200, seed=8)
            async with database.sessions() as session:
                counts = {
                    model.__name__: await session.scalar(select(func.count()).select_from(model))
                    for model in (Customer, Order, OrderItem, Product, Stock, News)
                }
                orphans = await session.scalar(
                    select(func.count(Order.id)).where(~Order.customer_id.in_(select(Customer.id)))
                )
                # a new order after generation gets a fresh id (the sequence moved past them)
                new = Order(
                    number="X-1",
                    customer_id=58561573,
                    status="created",
                    delivery_type="courier",
                    created_at=(await session.get(Order, 1)).created_at,
                    total=1,
                )
                session.add(new)
                await session.commit()
                assert new.id == counts["Order"] + 1
            return first, second, counts, orphans
        finally:
            await database.dispose()

    first, second, counts, orphans = asyncio.run(main())
    assert sum(ticks) == progress_total(300) == 300 + 150
    assert counts["Customer"] == 4 + 300 + 200
    demo_orders = [o for c in DEMO["customers"] for o in c.get("orders", [])]
    assert counts["Order"] == len(demo_orders) + first.orders + second.orders
    demo_items = sum(len(o.get("items", [])) for o in demo_orders)
    assert counts["OrderItem"] == demo_items + first.orders + second.orders
    assert counts["Product"] == 3 + first.products + second.products
    assert counts["Stock"] == 6 + first.stock_rows + second.stock_rows
    assert orphans == 0
    assert first.orders > 300  # about five orders a customer


def test_scale_must_be_positive(make_database):
    db = make_database("sqlite")
    prepare(db.url)

    async def main():
        database = Database(db.url)
        try:
            async with database.sessions() as session:
                await generate(session, 0)
        finally:
            await database.dispose()

    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(main())
