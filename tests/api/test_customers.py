"""The customer card and the customer's orders."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from marketdesk.store.models import Conversation
from tests.conftest import DEMO_PASSWORD, ROLES, auth, run_db
from tests.errors import assert_error


def card(client, tokens, customer_id=58561573, who="operator"):
    response = client.get(f"/api/v1/customers/{customer_id}", headers=auth(tokens[who]))
    assert response.status_code == 200, response.text
    return response.json()


def test_card_of_58561573_as_in_the_crm(client, tokens):
    c = card(client, tokens)
    assert c["full_name"] == "Анненко Александр"
    assert c["registered_on"] == "2020-12-27"
    assert c["statistics"]["orders_total"] == 11
    assert c["statistics"]["orders_completed"] == 8
    assert c["statistics"]["orders_cancelled"] == 3
    assert c["statistics"]["profitability"]["title"] == "Средняя"
    assert [
        (o["number"], o["status"]["title"], o["delivery_type"]["title"], o["age_days"], o["total"])
        for o in c["last_orders"]
    ] == [
        ("58561573-0011", "Выполнен", "Доставка в пункт выдачи", 42, "1649.00"),
        ("58561573-0010", "Выполнен", "Доставка в пункт выдачи", 69, "1805.00"),
        ("58561573-0009", "Выполнен", "Доставка в пункт выдачи", 86, "332.00"),
    ]
    assert [(b["kind"]["title"], b["amount"]) for b in c["balances"]] == [
        ("Рубли", "0.00"),
        ("Ozon.Бонусы", "0.00"),
        ("Баллы Ozon", "0.00"),
        ("Premium баллы", "0.00"),
    ]
    assert c["certificates"] == []
    assert c["active_tasks"] == []
    assert c["coupon_ban"] is None
    assert re.fullmatch(r"\d\d:\d\d", c["local_time"])


def test_phone_is_masked_on_the_card(client, tokens):
    c = card(client, tokens)
    phone = c["contacts_masked"]["phone"]
    assert phone is not None and phone.endswith("01")
    assert "9000000001" not in phone.replace(" ", "").replace("-", "")
    assert c["contacts_masked"]["email"] is None


def test_reveal_gives_the_full_contacts_and_is_audited(client, tokens, demo_db):
    response = client.post(
        "/api/v1/customers/61000001/contacts/reveal", headers=auth(tokens["supervisor"])
    )
    assert response.status_code == 200
    assert response.json() == {"phone": "+79000000002", "email": "olga.demo@example.com"}

    import asyncio

    from sqlalchemy import select

    from marketdesk.store.db import Database
    from marketdesk.store.models import AuditEntry

    async def audited() -> list[tuple[str, str | None]]:
        database = Database(demo_db.url)
        try:
            async with database.sessions() as session:
                rows = await session.execute(
                    select(AuditEntry.action, AuditEntry.entity_id).where(
                        AuditEntry.action == "customer.contacts_revealed"
                    )
                )
                return [tuple(r) for r in rows]
        finally:
            await database.dispose()

    assert ("customer.contacts_revealed", "61000001") in asyncio.run(audited())


def test_balances_sum_their_sources(client, tokens):
    c = card(client, tokens, 61000001)
    rubles = next(b for b in c["balances"] if b["kind"]["code"] == "rubles")
    assert rubles["amount"] == "1750.00"
    assert {s["source"]["title"]: s["amount"] for s in rubles["sources"]} == {
        "Подарочный сертификат": "1500.00",
        "Возврат за заказ": "250.00",
    }


@pytest.mark.parametrize(
    ("customer_id", "intersections", "decision", "can_create_task"),
    [
        (61000001, 1, "can_be_lifted", True),
        (61000002, 5, "not_lifted", False),
        (61000003, 12, "may_be_lifted", True),
    ],
)
def test_coupon_ban_badge_carries_the_rule_decision(
    client, tokens, customer_id, intersections, decision, can_create_task
):
    ban = card(client, tokens, customer_id)["coupon_ban"]
    assert ban["intersections"] == intersections
    assert ban["decision"] == decision
    assert ban["can_create_task"] is can_create_task
    if can_create_task:
        assert (
            ban["task_queue"] == "Фрод-мониторинг / Не могу активировать / Кодовое слово по акции"
        )


def test_legal_entity_kind(client, tokens):
    c = card(client, tokens, 61000003)
    assert c["kind"] == {"code": "legal_entity", "title": "Юридическое лицо"}


def test_orders_are_paged_newest_first(client, tokens):
    headers = auth(tokens["operator"])
    first = client.get("/api/v1/customers/58561573/orders?limit=4", headers=headers).json()
    second = client.get(
        "/api/v1/customers/58561573/orders?limit=4&offset=4", headers=headers
    ).json()
    assert first["total"] == 11
    numbers = [o["number"] for o in first["orders"] + second["orders"]]
    assert numbers == [f"58561573-{n:04d}" for n in range(11, 3, -1)]


def test_orders_filtered_by_status(client, tokens):
    page = client.get(
        "/api/v1/customers/58561573/orders?status=cancelled", headers=auth(tokens["operator"])
    ).json()
    assert page["total"] == 3
    assert {o["status"]["code"] for o in page["orders"]} == {"cancelled"}


@pytest.mark.parametrize("path", ["/api/v1/customers/12345", "/api/v1/customers/12345/orders"])
def test_unknown_customer_is_404(client, tokens, path):
    response = client.get(path, headers=auth(tokens["operator"]))
    assert_error(response, 404, "customer_not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/abc",
        "/api/v1/customers/-5",
        "/api/v1/customers/9223372036854775808",
        "/api/v1/customers/58561573/orders?limit=1000",
        "/api/v1/customers/58561573/orders?offset=-1",
        "/api/v1/customers/58561573/orders?status=lost",
    ],
)
def test_bad_input_is_422(client, tokens, path):
    response = client.get(path, headers=auth(tokens["operator"]))
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/customers/58561573"),
        ("get", "/api/v1/customers/58561573/orders"),
        ("post", "/api/v1/customers/58561573/contacts/reveal"),
    ],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        *[(role, 200) for role in ROLES],
        ("customer", 403),
        ("visitor", 403),
        (None, 401),
        ("bad", 401),
    ],
)
def test_access(client, tokens, method, path, who, status):
    headers = {} if who is None else auth(tokens.get(who, "wrong-token"))
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]["code"] in {"unauthorized", "invalid_token", "forbidden"}


def test_communications_list_every_conversation_readable_by_the_lines_rule(client, tokens, demo_db):
    """«Коммуникации»: the customer's conversations across lines, newest first; one of a
    line the operator does not serve is listed but not ``readable`` (nothing of its text)."""
    customer = auth(tokens["customer"])
    me = client.get("/api/v1/auth/me", headers=customer).json()
    made = {}
    for line in ("general", "travel_priority"):
        response = client.post("/api/v1/conversations", json={"line": line}, headers=customer)
        assert response.status_code in (200, 201), response.text
        made[line] = response.json()["id"]

    async def to_travel(session):  # as a transfer to the Travel line would leave it
        await session.execute(
            update(Conversation)
            .where(Conversation.id == made["travel_priority"])
            .values(line="travel_priority")
        )
        await session.commit()

    run_db(demo_db, to_travel)
    login = client.post("/api/v1/auth/login", json={"login": "travel", "password": DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    staff = {**tokens, "travel": login.json()["token"]}
    try:
        seen = {}
        for who in ("operator", "travel", "supervisor", "backoffice"):
            response = client.get(
                f"/api/v1/customers/{me['id']}/conversations", headers=auth(staff[who])
            )
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["total"] >= 2
            ids = [c["id"] for c in page["conversations"]]
            assert ids == sorted(ids, reverse=True)
            seen[who] = {c["id"]: c for c in page["conversations"] if c["id"] in made.values()}
        general, travel = made["general"], made["travel_priority"]
        assert seen["operator"][travel]["line"] == {
            "code": "travel_priority",
            "title": "Приоритетная линия Travel",
        }
        assert seen["operator"][general]["channel"]["code"] == "web"
        assert "text" not in seen["operator"][travel] and "preview" not in seen["operator"][travel]
        assert (seen["operator"][general]["readable"], seen["operator"][travel]["readable"]) == (
            True,
            False,
        )
        assert (seen["travel"][general]["readable"], seen["travel"][travel]["readable"]) == (
            False,
            True,
        )
        assert all(c["readable"] for c in seen["supervisor"].values())
    finally:
        for cid in made.values():
            client.post(f"/api/v1/conversations/{cid}/close", headers=auth(tokens["supervisor"]))


@pytest.mark.parametrize("who, status", [("customer", 403), ("visitor", 403), (None, 401)])
def test_communications_are_for_staff(client, tokens, who, status):
    headers = auth(tokens[who]) if who else {}
    response = client.get("/api/v1/customers/58561573/conversations", headers=headers)
    assert response.status_code == status


def test_communications_of_a_missing_customer(client, tokens):
    response = client.get(
        "/api/v1/customers/99999999/conversations", headers=auth(tokens["operator"])
    )
    assert_error(response, 404, "customer_not_found")
