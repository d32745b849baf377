"""The demo data set agrees with itself: the loader refuses a file that contradicts itself
(issue 20, item 5: 1 500 ₽ from a certificate while the card said «Нет сертификатов»)."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from marketdesk.services.demo import (
    DEMO_FILE,
    DemoDataInvalid,
    check_demo_data,
    demo_loaded,
    load_demo,
)
from marketdesk.store.db import Database
from marketdesk.store.migrate import upgrade
from marketdesk.store.models import BalanceEntry, Customer, GiftCertificate
from tests.conftest import auth

SHIPPED = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))


def _customer(data: dict, customer_id: int) -> dict:
    return next(c for c in data["customers"] if c["id"] == customer_id)


def test_the_shipped_demo_data_agrees_with_itself():
    assert check_demo_data(SHIPPED) == []


def test_certificate_money_without_a_certificate_is_refused():
    data = copy.deepcopy(SHIPPED)
    _customer(data, 61000001)["certificates"] = []
    problems = check_demo_data(data)
    assert len(problems) == 1
    assert "customer 61000001" in problems[0] and "150000" in problems[0]


def test_a_certificate_without_its_money_is_refused():
    data = copy.deepcopy(SHIPPED)
    _customer(data, 58561573)["certificates"] = [{"nominal": 500}]
    assert any("customer 58561573" in p for p in check_demo_data(data))


def test_certificate_money_in_points_is_refused():
    data = copy.deepcopy(SHIPPED)
    customer = _customer(data, 61000001)
    customer["balances"]["ozon_points"].append([700, "certificate"])
    customer["certificates"].append({"nominal": 700})
    assert any("rubles, not ozon_points" in p for p in check_demo_data(data))


def test_order_statistics_must_match_the_orders():
    data = copy.deepcopy(SHIPPED)
    _customer(data, 58561573)["orders"].pop()  # one completed order fewer than the card says
    problems = check_demo_data(data)
    assert any("order_stats.total is 11, the orders give 10" in p for p in problems)
    assert any("order_stats.completed is 8, the orders give 7" in p for p in problems)


def test_a_contradicting_file_loads_nothing(tmp_path: Path):
    data = copy.deepcopy(SHIPPED)
    _customer(data, 61000001)["certificates"] = []
    broken = tmp_path / "seed.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    async def main() -> tuple[bool, int]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
        try:
            await upgrade(database)
            async with database.sessions() as session:
                with pytest.raises(DemoDataInvalid, match="customer 61000001"):
                    await load_demo(session, password="x", path=broken)
            async with database.sessions() as session:
                customers = await session.scalar(select(func.count()).select_from(Customer))
                return await demo_loaded(session), int(customers or 0)
        finally:
            await database.dispose()

    assert asyncio.run(main()) == (False, 0)


def test_the_card_lists_the_certificate_behind_the_balance(client, tokens, demo_db):
    card = client.get("/api/v1/customers/61000001", headers=auth(tokens["operator"])).json()
    assert [(c["nominal"], c["kind"]) for c in card["certificates"]] == [("1500.00", "electronic")]

    async def entries():
        database = Database(demo_db.url)
        try:
            async with database.sessions() as session:
                certificate = await session.scalar(
                    select(GiftCertificate).where(GiftCertificate.activated_by == 61000001)
                )
                references = list(
                    await session.scalars(
                        select(BalanceEntry.reference).where(
                            BalanceEntry.customer_id == 61000001,
                            BalanceEntry.source == "certificate",
                        )
                    )
                )
                return certificate, references
        finally:
            await database.dispose()

    certificate, references = asyncio.run(entries())
    assert certificate is not None and certificate.status == "activated"
    assert references == [f"certificate:{certificate.id}"]
