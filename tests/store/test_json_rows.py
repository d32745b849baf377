"""A statement's rows as one JSON column (marketdesk.store.json_rows), on every backend: the
customer's card reads its lists this way, in one statement. Each list must come back as the
plain statement gives it: the same rows, in the same order, timestamps in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services import customers as card
from marketdesk.services import products
from marketdesk.store.json_rows import rows_as_json, rows_from_json, utc
from marketdesk.store.models import Customer, CustomerComment, Order, Product, ReturnRequest
from tests.conftest import run_db

LISTS = {
    "orders": (card._CARD_ORDERS, card._ORDERS_ORDER),
    "certificates": (card._CARD_CERTIFICATES, card._CERTIFICATES_ORDER),
    "tasks": (card._CARD_TASKS, card._TASKS_ORDER),
    "comments": (card._CARD_COMMENTS, card._COMMENTS_ORDER),
    "balances": (card._CARD_BALANCES, card._BALANCES_ORDER),
    "returns": (card._CARD_RETURNS, card._RETURNS_ORDER),
}


def _plain(value: Any) -> Any:
    return value if not isinstance(value, datetime) else value.isoformat()


def _from_json(value: Any, like: Any) -> Any:
    return utc(value).isoformat() if isinstance(like, datetime) else value


def _comments_and_returns(demo_db, new_customer) -> None:
    """The demo data has none: a customer with more comments and returns than the card
    shows, some of them at the same moment (the order's tie-break)."""
    customer_id, _ = new_customer()
    moment = datetime(2026, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)

    async def work(session) -> None:
        session.add(
            Order(
                number=f"{customer_id}-0001",
                customer_id=customer_id,
                status="completed",
                delivery_type="courier",
                created_at=moment,
                total=150_000,
            )
        )
        await session.flush()
        order_id = await session.scalar(select(Order.id).where(Order.customer_id == customer_id))
        for i in range(card.COMMENTS_ON_CARD + 3):
            at = moment + timedelta(minutes=i // 2)  # two at each moment
            session.add(CustomerComment(customer_id=customer_id, text=f"№{i}", created_at=at))
        for i in range(card.RETURNS_ON_CARD + 2):
            session.add(
                ReturnRequest(
                    number=f"RET-{customer_id}-{i}",
                    order_id=order_id,
                    customer_id=customer_id,
                    reason="defect",
                    task_number=None if i % 2 else f"CTASK-{i:07d}",
                    created_at=moment + timedelta(hours=i // 2),
                )
            )
        await session.commit()

    run_db(demo_db, work)


async def _both_ways(session, statement, order, key: str, ids) -> list[tuple[Any, list, list]]:
    """For each id: (the id, the plain statement's rows, the rows through JSON)."""
    found = []
    for one in ids:
        params = {key: one}
        plain = [list(r) for r in (await session.execute(statement, params)).all()]
        packed = await session.scalar(select(rows_as_json(statement, order)), params)
        found.append((one, plain, rows_from_json(packed)))
    return found


@pytest.mark.parametrize("name", sorted(LISTS))
def test_each_list_of_the_card_is_the_plain_statements_rows(
    demo_db, new_customer, name: str
) -> None:
    statement, order = LISTS[name]
    _comments_and_returns(demo_db, new_customer)

    async def work(session) -> list[tuple[int, list[Any], list[Any]]]:
        ids = (await session.scalars(select(Customer.id).order_by(Customer.id))).all()
        return await _both_ways(session, statement, order, "customer_id", ids)

    found = run_db(demo_db, work)
    with_rows = [f for f in found if f[1]]
    assert with_rows, f"the demo data has no customer with {name}"
    for customer_id, plain, packed in found:
        assert len(packed) == len(plain), customer_id
        converted = [
            tuple(_from_json(v, like) for v, like in zip(row, p, strict=True))
            for row, p in zip(packed, plain, strict=True)
        ]
        expected = [tuple(_plain(v) for v in p) for p in plain]
        assert converted == expected, (customer_id, name)


PRODUCT_LISTS = {
    "stock": (products._CARD_STOCK, products._STOCK_ORDER),
    "nominals": (products._CARD_NOMINALS, products._NOMINALS_ORDER),
}


@pytest.mark.parametrize("name", sorted(PRODUCT_LISTS))
def test_each_list_of_the_product_card_is_the_plain_statements_rows(demo_db, name: str) -> None:
    statement, order = PRODUCT_LISTS[name]

    async def work(session) -> list[tuple[int, list[Any], list[Any]]]:
        ids = (await session.scalars(select(Product.id).order_by(Product.id))).all()
        return await _both_ways(session, statement, order, "product_id", ids)

    found = run_db(demo_db, work)
    assert any(plain for _, plain, _ in found), f"the demo data has no product with {name}"
    assert all(plain == packed for _, plain, packed in found)


def test_no_rows_is_an_empty_list_and_timestamps_keep_their_moment() -> None:
    assert rows_from_json(None) == [] and rows_from_json("[]") == []
    assert rows_from_json('[["b", 2], ["a", 1]]') == [["a"], ["b"]]  # by their place
    naive = utc("2026-12-04 19:05:16.123456")  # SQLite's text: UTC without an offset
    offset = utc("2026-12-04T22:05:16.123456+03:00")  # PostgreSQL's, in its session's zone
    assert naive == offset and naive.utcoffset() is not None and naive.utcoffset().seconds == 0
