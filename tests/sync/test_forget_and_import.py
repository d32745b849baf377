"""The right to be forgotten (API and command), and the bulk import with its checkpoint."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketdesk.domain.sync import SyncKind
from marketdesk.services.auth import SESSIONS_CHANNEL, token_for_customer
from marketdesk.services.sync.importer import import_file
from marketdesk.store.db import Database
from marketdesk.store.models import (
    AuditEntry,
    ChannelContact,
    Customer,
    CustomerTombstone,
    Message,
    Notification,
    Order,
    Visitor,
)
from marketdesk.store.models import (
    Session as AuthSession,
)
from tests.errors import assert_error
from tests.test_cli import run

from .conftest import Side, bearer

CUSTOMER = {
    "id": 63000001,
    "full_name": "Зайцева Нина",
    "phone": "+7 900 000-00-31",
    "email": "nina.z@example.com",
    "kind": "individual",
    "registered_on": "2023-01-01",
    "timezone": "Europe/Moscow",
}


def on_db(side: Side, work):
    async def main():
        database = Database(side.db.url)
        try:
            async with database.sessions() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_a_forgotten_customer_keeps_no_personal_data_and_leaves_a_tombstone(
    synced: Side,
) -> None:
    client = synced.client
    answer = client.post(
        "/api/v1/sync/customers", json={"records": [CUSTOMER]}, headers=bearer(synced.key)
    ).json()
    assert answer == {"stored": 1, "errors": []}

    async def prepare(session):
        token = await token_for_customer(session, CUSTOMER["id"], ttl=timedelta(hours=1))
        visitor = Visitor(id=str(uuid.uuid4()))
        session.add(visitor)
        await session.flush()
        session.add(
            ChannelContact(
                channel="email",
                address="nina.z@example.com",
                display_name="Нина",
                visitor_id=visitor.id,
                customer_id=CUSTOMER["id"],
            )
        )
        session.add(
            Notification(
                customer_id=CUSTOMER["id"],
                type="orders",
                event="order_receipt",
                channel="sms",
                address="+79000000031",
                template="orders/order_receipt/sms",
                body="Чек по заказу для Нины",
                idempotency_key=f"forget-test-{uuid.uuid4()}",
            )
        )
        await session.commit()
        return token

    token = on_db(synced, prepare)
    conversation = client.post(
        "/api/v1/conversations", json={"line": "general"}, headers=bearer(token)
    ).json()
    text = "Перезвоните мне на 8 (900) 000-00-31 или напишите nina.z@example.com"
    sent = client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"client_msg_id": "forget-1", "text": text},
        headers=bearer(token),
    )
    assert sent.status_code in (200, 201), sent.text

    announced: list[dict] = []  # what every process hears (the session watch's channel)
    subscription = client.app.state.broker.subscribe(
        [SESSIONS_CHANNEL], lambda _channel, event: announced.append(event)
    )
    try:
        response = client.delete(
            f"/api/v1/sync/customers/{CUSTOMER['id']}", headers=bearer(synced.key)
        )
    finally:
        subscription.close()
    assert response.status_code == 200, response.text
    assert response.json()["messages_masked"] >= 1
    session_id = on_db(
        synced,
        lambda session: session.scalar(
            select(AuthSession.id).where(AuthSession.customer_id == CUSTOMER["id"])
        ),
    )
    assert announced == [{"type": "sessions_ended", "session_ids": [session_id]}]

    card = client.get(f"/api/v1/customers/{CUSTOMER['id']}", headers=bearer(synced.operator)).json()
    assert card["full_name"] == "Покупатель удалён"
    assert card["contacts_masked"] == {"phone": None, "email": None}

    async def check(session):
        texts = list(
            await session.scalars(
                select(Message.text).where(Message.conversation_id == conversation["id"])
            )
        )
        contact = await session.scalar(
            select(ChannelContact).where(ChannelContact.customer_id == CUSTOMER["id"])
        )
        notification = await session.scalar(
            select(Notification).where(Notification.customer_id == CUSTOMER["id"])
        )
        tombstone = await session.get(CustomerTombstone, CUSTOMER["id"])
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "customer.forgotten",
                AuditEntry.entity_id == str(CUSTOMER["id"]),
            )
        )
        return texts, contact, notification, tombstone, audit

    texts, contact, notification, tombstone, audit = on_db(synced, check)
    assert text not in texts
    assert not any("000-00-31" in t or "nina.z@" in t for t in texts)
    assert any("[удалено]" in t for t in texts)
    assert "nina" not in contact.address and contact.display_name is None
    assert notification.address == "[удалено]" and notification.body is None
    assert tombstone is not None and tombstone.actor == "api_key:marketplace"
    assert audit is not None and audit.actor_kind == "api_key"

    # the customer's session ended; a later sync brings no personal data back
    assert_error(
        client.get("/api/v1/me/notification-settings", headers=bearer(token)), 401, "invalid_token"
    )
    again = client.post(
        "/api/v1/sync/customers", json={"records": [CUSTOMER]}, headers=bearer(synced.key)
    ).json()
    assert again["stored"] == 0 and "забвение" in again["errors"][0]["message"]
    assert_error(
        client.delete("/api/v1/sync/customers/63999999", headers=bearer(synced.key)),
        404,
        "customer_not_found",
    )


class Crash(Exception):
    pass


def test_an_interrupted_import_resumes_after_its_last_batch(synced: Side, tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    lines = [
        {**CUSTOMER, "id": 64000000 + n, "full_name": f"Импорт {n}", "phone": None, "email": None}
        for n in range(1, 8)
    ]
    lines[4]["registered_on"] = "вчера"  # the fifth is bad
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n")
    secret = b"s" * 32
    seen: list[int] = []

    def crash_after_two_batches(n: int) -> None:
        seen.append(n)
        if len(seen) == 2:
            raise Crash

    async def first() -> None:
        database = Database(synced.db.url)
        try:
            await import_file(
                database, SyncKind.CUSTOMERS, path, secret=secret, batch_size=2,
                progress=crash_after_two_batches,
            )  # fmt: skip
        finally:
            await database.dispose()

    with pytest.raises(Crash):
        asyncio.run(first())

    async def second():
        database = Database(synced.db.url)
        try:
            return await import_file(
                database, SyncKind.CUSTOMERS, path, secret=secret, batch_size=2
            )
        finally:
            await database.dispose()

    result = asyncio.run(second())
    assert (result.skipped, result.total, result.stored, result.errors) == (4, 7, 2, 1)
    errors = [json.loads(x) for x in result.errors_file.read_text().splitlines()]
    assert [e["record"] for e in errors] == [5]

    async def count(session):
        return await session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(Customer.id.between(64000001, 64000007))
        )

    assert on_db(synced, count) == 6
    assert asyncio.run(second()).stored == 0  # done: nothing left to send


def test_the_commands_make_keys_import_csv_and_forget(tmp_path: Path) -> None:
    token = run("apikey", "create", "shop", "--scope", "sync", data_dir=tmp_path).stdout.strip()
    assert token.startswith("mdk_")
    assert "shop\tsync\tmdk_" in run("apikey", "list", data_dir=tmp_path).stdout
    dupe = run("apikey", "create", "shop", "--scope", "sync", data_dir=tmp_path, check=False)
    assert dupe.returncode == 1 and "уже есть" in dupe.stderr

    customers = tmp_path / "customers.csv"
    customers.write_text(
        "id,full_name,phone,email,kind,registered_on,timezone\n"
        "65000001,Орлова Яна,89000000041,Yana@Example.com,individual,2022-02-02,Europe/Moscow\n"
        "65000002,Без даты,,,individual,,Europe/Moscow\n",
        encoding="utf-8",
    )
    result = run("import", "customers", str(customers), data_dir=tmp_path, check=False)
    assert result.returncode == 2, result.stderr
    assert "Сохранено: 1. С ошибками: 1." in result.stdout
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "number,customer_id,status,delivery,created_at,total,items\n"
        "65000001-1,65000001,created,courier,2024-01-01T10:00:00+03:00,500,"
        '"[{""name"": ""Чай"", ""quantity"": 2, ""price"": 250}]"\n',
        encoding="utf-8",
    )
    assert (
        "Сохранено: 1. С ошибками: 0."
        in run("import", "orders", str(orders), data_dir=tmp_path).stdout
    )
    again = run("import", "orders", str(orders), data_dir=tmp_path).stdout
    assert "Пропущено уже загруженных (контрольная точка): 1." in again

    forgotten = run("forget", "customer", "65000001", "--reason", "обращение 42", data_dir=tmp_path)
    assert "удалены" in forgotten.stdout
    assert (
        "не найден" in run("forget", "customer", "65999999", data_dir=tmp_path, check=False).stderr
    )
    run("apikey", "revoke", "shop", data_dir=tmp_path)
    assert "отозван" in run("apikey", "list", data_dir=tmp_path).stdout

    async def check() -> tuple:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'marketdesk.db'}")
        try:
            async with database.sessions() as session:
                customer = await session.get(Customer, 65000001)
                order = await session.scalar(select(Order).where(Order.number == "65000001-1"))
                return customer.phone, customer.email, order.total
        finally:
            await database.dispose()

    assert asyncio.run(check()) == (None, None, 50000)


def test_a_conflict_the_checks_missed_costs_only_its_own_record(
    synced: Side, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch the database refuses as a whole (a race with another writer, say) is stored
    again record by record: the good ones stay, the one that conflicts is named."""
    from sqlalchemy.exc import IntegrityError

    from marketdesk.services import sync as sync_service
    from marketdesk.services.sync.people import store_sellers
    from marketdesk.store.models import Seller

    async def touchy(batch) -> None:
        await store_sellers(batch)
        names = [r.name for r in batch.records.values()]
        if len(names) > 1 or names == ["Конфликт"]:
            raise IntegrityError("INSERT", {}, Exception("simulated conflict"))

    monkeypatch.setitem(sync_service._STORES, sync_service.SyncKind.SELLERS, touchy)
    records = [
        {"id": 9001, "name": "Первый"},
        {"id": 9002, "name": "Конфликт"},
        {"id": 9003},  # no name: refused by the parser
        {"id": 9004, "name": "Второй"},
    ]

    async def main():
        database = Database(synced.db.url)
        try:
            async with database.sessions() as session:
                result = await sync_service.sync_batch(
                    session, sync_service.SyncKind.SELLERS, records, secret=b"k", actor="cli:test"
                )
                names = list(
                    await session.scalars(select(Seller.name).where(Seller.id.between(9001, 9004)))
                )
                return result, sorted(names)
        finally:
            await database.dispose()

    result, names = asyncio.run(main())
    assert result.stored == 2 and names == ["Второй", "Первый"]
    assert [(e.index, e.message) for e in result.errors] == [
        (1, sync_service.CONFLICT_MESSAGE),
        (2, "Поле «name» обязательно."),
    ]
