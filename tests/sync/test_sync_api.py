"""The sync API: the demo data fed through it gives the cards the seed loader gives; a
re-sent batch changes nothing; bad records are named and the good ones stored."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from sqlalchemy import func, select

from marketdesk.domain.notifications import EVENTS
from marketdesk.services.sync.orders import ORDER_STATUS_EVENT
from marketdesk.store import models
from marketdesk.store.db import Database
from tests.errors import CYRILLIC, assert_error

from .conftest import Side, bearer
from .seed_batches import KINDS_IN_ORDER, seed_data

TABLES = (
    models.Customer,
    models.CouponBan,
    models.TravelProfile,
    models.Seller,
    models.Product,
    models.ProductNominal,
    models.Warehouse,
    models.Stock,
    models.Order,
    models.OrderItem,
    models.OrderStatusEvent,
    models.GiftCertificate,
    models.BalanceEntry,
)


def send(side: Side, kind: str, records: list[Any]) -> dict[str, Any]:
    response = side.client.post(
        f"/api/v1/sync/{kind}", json={"records": records}, headers=bearer(side.key)
    )
    assert response.status_code == 200, response.text
    return response.json()


def feed(side: Side, batches: dict[str, list[dict]]) -> None:
    for kind in KINDS_IN_ORDER:
        answer = send(side, kind, batches[kind])
        assert answer == {"stored": len(batches[kind]), "errors": []}, (kind, answer)


def card(side: Side, customer_id: int) -> dict[str, Any]:
    response = side.client.get(f"/api/v1/customers/{customer_id}", headers=bearer(side.operator))
    assert response.status_code == 200, response.text
    body = response.json()
    # the clock, the certificates' random codes and the support's own tasks are not the feed's
    body.pop("local_time")
    body.pop("active_tasks")
    for certificate in body["certificates"]:
        certificate.pop("code_tail")
    return body


def rows(side: Side) -> dict[str, list[tuple]]:
    """Every row the sync writes, without surrogate ids, sorted."""

    async def main() -> dict[str, list[tuple]]:
        database = Database(side.db.url)
        try:
            async with database.sessions() as session:
                out = {}
                for model in TABLES:
                    table = model.__table__
                    columns = [c for c in table.columns if c.name != "id"]
                    result = await session.execute(select(*columns))
                    out[table.name] = sorted(
                        (tuple(repr(v) for v in row) for row in result), key=repr
                    )
                return out
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_demo_data_through_the_sync_gives_the_seed_loaders_cards(
    seeded: Side, synced: Side, batches: dict[str, list[dict]]
) -> None:
    feed(synced, batches)
    data = seed_data()
    for customer in data["customers"]:
        expected = card(seeded, customer["id"])
        assert card(synced, customer["id"]) == expected
    assert expected["statistics"]["orders_total"] == len(customer["orders"])  # not empty
    for product in data["products"]:
        path = f"/api/v1/products/{product['id']}"
        mine = synced.client.get(path, headers=bearer(synced.operator))
        theirs = seeded.client.get(path, headers=bearer(seeded.operator))
        assert mine.status_code == 200, mine.text
        assert mine.json() == theirs.json()


def test_resending_every_batch_changes_nothing(
    synced: Side, batches: dict[str, list[dict]]
) -> None:
    feed(synced, batches)  # whether or not the test above ran first
    before = rows(synced)
    assert before["orders"] and before["order_status_events"] and before["balance_entries"]
    feed(synced, batches)
    assert rows(synced) == before


def test_a_batch_with_bad_records_stores_the_good_ones_and_names_each_bad_one(
    synced: Side,
) -> None:
    good = {
        "id": 62000001,
        "full_name": "Новикова Вера",
        "phone": "8 (912) 345-67-01",
        "email": "Vera.Novikova@Example.COM",
        "kind": "individual",
        "registered_on": "2024-05-01",
        "timezone": "Europe/Samara",
    }
    records = [
        good,
        {**good, "id": 62000002, "phone": "12345"},
        {**good, "id": 62000003, "full_name": None, "phone": None},
        "not an object",
        {**good, "id": 62000004, "phone": None, "registered_on": "01.05.2024"},
        {**good, "id": 62000005, "phone": None, "colour": "red"},
        {**good, "phone": None},  # the same id again
        {**good, "id": 62000006, "phone": None, "email": None, "timezone": "Mars/Olympus"},
        {**good, "id": 62000007, "phone": None, "email": None, "kind": "robot"},
        {**good, "id": 62000008, "phone": None, "email": None},
    ]
    answer = send(synced, "customers", records)
    assert answer["stored"] == 2
    assert [e["index"] for e in answer["errors"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(CYRILLIC.search(e["message"]) for e in answer["errors"])
    messages = {e["index"]: e["message"] for e in answer["errors"]}
    assert "phone" in messages[1] and "full_name" in messages[2] and "colour" in messages[5]
    stored = synced.client.get(
        "/api/v1/customers", params={"q": "+7 912 345-67-01"}, headers=bearer(synced.operator)
    ).json()["customers"]
    assert [c["id"] for c in stored] == [62000001]  # the phone rule's form, found by it
    found = synced.client.get(
        "/api/v1/customers",
        params={"q": "vera.novikova@example.com"},
        headers=bearer(synced.operator),
    ).json()["customers"]
    assert [c["id"] for c in found] == [62000001]

    order = {
        "number": "62000001-0001",
        "customer_id": 62000001,
        "status": "created",
        "delivery": "courier",
        "created_at": "2024-05-02T10:00:00+03:00",
        "total": 990,
    }
    answer = send(
        synced,
        "orders",
        [
            order,
            {**order, "number": "62000099-0001", "customer_id": 62000099},
            {**order, "number": "62000001-0002", "total": "9.999"},
            {
                **order,
                "number": "62000001-0003",
                "items": [{"product_id": 1, "name": "x", "quantity": 1, "price": 990}],
            },
        ],
    )
    assert answer["stored"] == 1
    assert [e["index"] for e in answer["errors"]] == [1, 2, 3]
    assert "62000099" in answer["errors"][0]["message"]


def notified(side: Side, customer_id: int) -> int:
    """Rows of the order-status notification to ``customer_id`` (one per channel)."""

    async def main() -> int:
        database = Database(side.db.url)
        try:
            async with database.sessions() as session:
                return int(
                    await session.scalar(
                        select(func.count())
                        .select_from(models.Notification)
                        .where(
                            models.Notification.customer_id == customer_id,
                            models.Notification.event == ORDER_STATUS_EVENT,
                        )
                    )
                )
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_a_status_change_is_recorded_once_and_stock_movements_apply_once(
    synced: Side, batches: dict[str, list[dict]]
) -> None:
    feed(synced, batches)
    order = copy.deepcopy(next(o for o in batches["orders"] if o["status"] == "in_delivery"))
    order.pop("history")
    order["status"] = "ready_for_pickup"
    assert send(synced, "orders", [order]) == {"stored": 1, "errors": []}
    once = rows(synced)["order_status_events"]
    assert send(synced, "orders", [order]) == {"stored": 1, "errors": []}
    assert rows(synced)["order_status_events"] == once
    if ORDER_STATUS_EVENT in EVENTS:  # the notifications' catalogue has the event
        raised = notified(synced, order["customer_id"])
        assert raised >= 1  # one row per channel of the customer's settings
        assert send(synced, "orders", [order]) == {"stored": 1, "errors": []}
        assert notified(synced, order["customer_id"]) == raised  # a re-send raises nothing
    orders = synced.client.get(
        f"/api/v1/customers/{order['customer_id']}/orders", headers=bearer(synced.operator)
    ).json()["orders"]
    assert {o["number"]: o["status"]["code"] for o in orders}[order["number"]] == "ready_for_pickup"

    product = "/api/v1/products/483491476"

    def quantity() -> dict[str, int]:
        card = synced.client.get(product, headers=bearer(synced.operator)).json()
        return {s["warehouse"]: s["quantity"] for s in card["stock"]}

    start = quantity()["ХОРУГВИНО_РФЦ"]
    movement = {
        "product_id": 483491476,
        "warehouse": "ХОРУГВИНО_РФЦ",
        "delta": 4,
        "delta_id": "m-1",
    }
    for _ in range(2):
        assert send(synced, "stock", [movement]) == {"stored": 1, "errors": []}
    assert quantity()["ХОРУГВИНО_РФЦ"] == start + 4
    too_much = {**movement, "delta": -1000, "delta_id": "m-2"}
    answer = send(synced, "stock", [too_much, {**movement, "delta_id": "m-3", "delta": -1}])
    assert answer["stored"] == 1 and answer["errors"][0]["index"] == 0
    assert quantity()["ХОРУГВИНО_РФЦ"] == start + 3
    snapshot = {"product_id": 483491476, "warehouses": {"ТВЕРЬ_ХАБ": 2}}
    assert send(synced, "stock", [snapshot]) == {"stored": 1, "errors": []}
    assert quantity() == {"ТВЕРЬ_ХАБ": 2}


def test_only_a_live_sync_key_gets_in(synced: Side, seeded: Side) -> None:
    path = "/api/v1/sync/customers"
    body = {"records": []}
    assert_error(synced.client.post(path, json=body), 401, "unauthorized")
    # an operator's login is not a key, not even an admin's
    assert_error(
        synced.client.post(path, json=body, headers=bearer(synced.operator)), 401, "invalid_api_key"
    )
    # another installation's key
    assert_error(
        synced.client.post(path, json=body, headers=bearer(seeded.key)), 401, "invalid_api_key"
    )
    assert_error(
        synced.client.post("/api/v1/sync/planets", json=body, headers=bearer(synced.key)),
        404,
        "sync_kind_unknown",
    )
    assert_error(
        synced.client.post(path, json={"records": [{}] * 10_001}, headers=bearer(synced.key)),
        422,
        "sync_batch_too_large",
    )

    async def keys() -> tuple[str, str]:
        from marketdesk.services import api_keys
        from marketdesk.store.models import ApiKey

        database = Database(synced.db.url)
        try:
            async with database.sessions() as session:
                revoked = await api_keys.create_key(session, "old", "sync")
                await api_keys.revoke_key(session, "old")
                other = await api_keys.create_key(session, "reports", "sync")
                row = await session.scalar(select(ApiKey).where(ApiKey.name == "reports"))
                row.scope = "webhooks"  # a scope of another integration
                await session.commit()
                return revoked.token, other.token
        finally:
            await database.dispose()

    revoked, other = asyncio.run(keys())
    assert_error(
        synced.client.post(path, json=body, headers=bearer(revoked)), 401, "api_key_revoked"
    )
    assert_error(synced.client.post(path, json=body, headers=bearer(other)), 403, "api_key_scope")
    assert send(synced, "customers", []) == {"stored": 0, "errors": []}
