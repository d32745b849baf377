"""The messages hub and the buyer ↔ seller chat through the API (issue 14, items 1 and 2), on
SQLite and PostgreSQL: a customer writes to the seller of a product or an order, the seller
answers from «Покупатели», unread counts on both sides; the guard refuses contacts and payment
details both ways and stores nothing; support brings a seller in and the seller passes a case
back; who may call each new route, for every kind of user; a seller sees only their own
buyers' dialogues, a customer only their own."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services.auth import token_for_customer, token_for_operator
from marketdesk.store.models import (
    Customer,
    Message,
    Operator,
    OperatorRole,
    OperatorSeller,
    Product,
    Seller,
)
from tests.conftest import DEMO_PASSWORD, ROLES, auth, run_db
from tests.errors import assert_error

EARPHONES = 235260644  # Mi Store, FBO (demo/seed.yaml)
ROBOT = 483491476  # OZON, Retail
OTHER_PRODUCT = 990_000_001  # the other seller's FBS product (made here)
ORDER_OWNER = 61000001  # has order 61000001-0001 with the earphones
EVERYONE = (*ROLES, "customer", "visitor", "seller", "other_seller", None)


def _headers(tokens: dict[str, str], who: str | None) -> dict[str, str]:
    return {} if who is None else auth(tokens[who])


@pytest.fixture(scope="module")
def world(demo_db, tokens) -> dict[str, Any]:
    """The demo's `sellers` login (Mi Store) and a second seller with its own account and an
    FBS product; tokens for them and for the order's owner."""

    async def work(session):
        mi_store = await session.scalar(select(Seller.id).where(Seller.name == "Mi Store"))
        other = Seller(name="Тестовый продавец Б")
        session.add(other)
        await session.flush()
        session.add(
            Product(
                id=OTHER_PRODUCT,
                name="Чехол для телефона",
                seller_id=other.id,
                category_path="Электроника/Аксессуары",
                sale_scheme="fbs",
                price=50000,
            )
        )
        account = Operator(
            login="seller_b", password_hash="x", full_name="Продавец Б", chat_capacity=0
        )
        session.add(account)
        await session.flush()
        session.add(OperatorRole(operator_id=account.id, role="operator"))
        session.add(OperatorSeller(operator_id=account.id, seller_id=other.id))
        await session.commit()
        ttl = timedelta(hours=2)
        return {
            "mi_store": mi_store,
            "other_seller_id": other.id,
            "seller": await token_for_operator(session, "sellers", ttl=ttl),
            "other_seller": await token_for_operator(session, "seller_b", ttl=ttl),
            "order_owner": await token_for_customer(session, ORDER_OWNER, ttl=ttl),
        }

    made = run_db(demo_db, work)
    tokens = {**tokens, "seller": made["seller"], "other_seller": made["other_seller"]}
    return {**made, "tokens": tokens}


_next = iter(range(80_000_001, 90_000_000))


def _customer(demo_db) -> tuple[int, str]:
    customer_id = next(_next)

    async def work(session):
        session.add(
            Customer(
                id=customer_id,
                full_name=f"Покупатель {customer_id}",
                registered_on=date(2024, 1, 1),
            )
        )
        await session.commit()
        return await token_for_customer(session, customer_id, ttl=timedelta(hours=1))

    return customer_id, run_db(demo_db, work)


def _send(client, token: str, conversation_id: int, text: str):
    return client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_msg_id": uuid.uuid4().hex, "text": text},
        headers=auth(token),
    )


def _stored(demo_db, conversation_id: int) -> list[str]:
    async def work(session):
        rows = await session.scalars(
            select(Message.text)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq)
        )
        return list(rows)

    return run_db(demo_db, work)


def _open(client, token: str, **subject: Any):
    return client.post("/api/v1/me/seller-chats", json=subject, headers=auth(token))


def _hub_item(client, token: str, tab: str, conversation_id: int) -> dict[str, Any] | None:
    response = client.get("/api/v1/me/dialogues", headers=auth(token))
    assert response.status_code == 200, response.text
    return next((d for d in response.json()[tab] if d["id"] == conversation_id), None)


def _buyers(client, token: str) -> dict[str, Any]:
    response = client.get("/api/v1/seller/dialogues", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_customer_writes_to_the_seller_and_the_seller_answers(client, demo_db, world):
    tokens = world["tokens"]
    _, token = _customer(demo_db)
    opened = _open(client, token, product_id=EARPHONES)
    assert opened.status_code == 201, opened.text
    chat = opened.json()
    assert chat["line"] == "seller_chat" and chat["status"] == "assigned"
    assert "продавец" in chat["status_title"].lower()
    again = _open(client, token, product_id=EARPHONES)  # the same seller: the same dialogue
    assert again.status_code == 200 and again.json()["id"] == chat["id"]

    sent = _send(client, token, chat["id"], "Здравствуйте! Подойдут ли наушники к iPhone?")
    assert sent.status_code == 201, sent.text
    assert sent.json()["replies"] == []  # no bot in a seller chat

    hub = _buyers(client, tokens["seller"])
    mine = next(d for d in hub["buyers"] if d["id"] == chat["id"])
    assert mine["unread"] == 1 and mine["product_id"] == EARPHONES
    assert mine["last_text"].startswith("Здравствуйте")
    assert hub["unread"] >= 1
    assert all(d["id"] != chat["id"] for d in _buyers(client, tokens["other_seller"])["buyers"])

    answer = _send(client, tokens["seller"], chat["id"], "Да, подойдут: Bluetooth 5.0.")
    assert answer.status_code == 201, answer.text
    assert answer.json()["sender_kind"] == "operator"

    item = _hub_item(client, token, "sellers", chat["id"])
    assert item is not None and item["title"] == "Mi Store" and item["unread"] == 1
    assert item["last_text"] == "Да, подойдут: Bluetooth 5.0."
    assert _hub_item(client, token, "support", chat["id"]) is None
    messages = client.get(
        f"/api/v1/conversations/{chat['id']}/messages", headers=auth(token)
    ).json()["messages"]
    last_seq = messages[-1]["seq"]
    read = client.post(
        f"/api/v1/me/dialogues/{chat['id']}/read", json={"seq": last_seq}, headers=auth(token)
    )
    assert read.status_code == 200 and read.json()["read_seq"] == last_seq
    assert _hub_item(client, token, "sellers", chat["id"])["unread"] == 0
    seller_read = client.post(
        f"/api/v1/seller/dialogues/{chat['id']}/read",
        json={"seq": last_seq},
        headers=auth(tokens["seller"]),
    )
    assert seller_read.status_code == 200
    assert (
        next(d for d in _buyers(client, tokens["seller"])["buyers"] if d["id"] == chat["id"])[
            "unread"
        ]
        == 0
    )


def test_a_seller_and_a_customer_see_only_their_own_dialogues(client, demo_db, world):
    tokens = world["tokens"]
    _, token = _customer(demo_db)
    _, stranger = _customer(demo_db)
    chat = _open(client, token, product_id=EARPHONES).json()
    other = _open(client, token, product_id=OTHER_PRODUCT).json()
    assert other["id"] != chat["id"]
    path = f"/api/v1/conversations/{chat['id']}/messages"
    for who, status in (
        ("seller", 200),
        ("supervisor", 200),
        ("other_seller", 404),
        ("operator", 404),
        ("backoffice", 404),
    ):
        assert client.get(path, headers=auth(tokens[who])).status_code == status, who
    assert_error(client.get(path, headers=auth(stranger)), 404, "conversation_not_found")
    assert_error(
        _send(client, tokens["other_seller"], chat["id"], "Добрый день"),
        404,
        "conversation_not_found",
    )
    assert_error(
        _send(client, tokens["operator"], chat["id"], "Добрый день"), 404, "conversation_not_found"
    )
    assert (
        _send(client, tokens["other_seller"], other["id"], "Чехол есть в наличии").status_code
        == 201
    )
    assert_error(
        client.post(
            f"/api/v1/me/dialogues/{chat['id']}/read", json={"seq": 1}, headers=auth(stranger)
        ),
        404,
        "conversation_not_found",
    )
    assert_error(
        client.post(
            f"/api/v1/seller/dialogues/{chat['id']}/read",
            json={"seq": 1},
            headers=auth(tokens["other_seller"]),
        ),
        404,
        "conversation_not_found",
    )
    assert _hub_item(client, stranger, "sellers", chat["id"]) is None
    ids = {d["id"] for d in _buyers(client, tokens["other_seller"])["buyers"]}
    assert other["id"] in ids and chat["id"] not in ids


CONTACTS = (
    "Позвоните мне: +7 916 123-45-67",
    "Пишите на почту ivan.petrov@mail.ru",
    "Оплатите на карту 4276 3800 1234 5679",  # passes the Luhn check
    "Реквизиты: счёт 40817810099910004312",
)


@pytest.mark.parametrize("text", CONTACTS)
def test_the_guard_refuses_contacts_both_ways_and_stores_nothing(client, demo_db, world, text):
    tokens = world["tokens"]
    _, token = _customer(demo_db)
    chat = _open(client, token, product_id=EARPHONES).json()
    before = _stored(demo_db, chat["id"])
    for sender in (token, tokens["seller"]):
        error = assert_error(_send(client, sender, chat["id"], text), 422, "seller_chat_contacts")
        assert error["found"], error
    assert _stored(demo_db, chat["id"]) == before
    ok = _send(client, tokens["seller"], chat["id"], "Звоните в поддержку 8 800 234-70-00")
    assert ok.status_code == 201, ok.text  # the hotline is not a private contact


def test_writing_about_an_order(client, demo_db, world):
    response = _open(client, world["order_owner"], order_number="61000001-0001")
    assert response.status_code in (200, 201), response.text
    item = _hub_item(client, world["order_owner"], "sellers", response.json()["id"])
    assert item is not None and item["seller_id"] == world["mi_store"]
    _, stranger = _customer(demo_db)
    assert_error(_open(client, stranger, order_number="61000001-0001"), 404, "order_not_found")
    assert_error(
        _open(client, world["order_owner"], order_number="61000001-0003"), 409, "seller_chat_retail"
    )
    assert_error(_open(client, stranger, product_id=ROBOT), 409, "seller_chat_retail")
    assert_error(_open(client, stranger), 422, "seller_chat_subject")
    assert_error(_open(client, stranger, product_id=987654321), 404, "product_not_found")


def test_the_seller_chat_opens_only_from_a_product_or_an_order(client, demo_db, tokens):
    _, token = _customer(demo_db)
    response = client.post(
        "/api/v1/conversations", json={"line": "seller_chat"}, headers=auth(token)
    )
    assert_error(response, 422, "seller_chat_from_product")


@pytest.mark.parametrize("who", EVERYONE)
def test_who_reads_the_customer_hub(client, world, who):
    response = client.get("/api/v1/me/dialogues", headers=_headers(world["tokens"], who))
    if who == "customer":
        body = response.json()
        assert response.status_code == 200 and set(body) >= {"support", "sellers"}
    elif who is None:
        assert_error(response, 401, "unauthorized")
    else:
        assert_error(response, 403, "customer_only")


@pytest.mark.parametrize("who", EVERYONE)
def test_who_writes_to_a_seller(client, world, who):
    response = client.post(
        "/api/v1/me/seller-chats",
        json={"product_id": EARPHONES},
        headers=_headers(world["tokens"], who),
    )
    if who == "customer":
        assert response.status_code in (200, 201), response.text
    elif who is None:
        assert_error(response, 401, "unauthorized")
    else:
        assert_error(response, 403, "customer_only")


@pytest.mark.parametrize("who", EVERYONE)
def test_who_reads_the_buyers_tab(client, world, who):
    response = client.get("/api/v1/seller/dialogues", headers=_headers(world["tokens"], who))
    if who in ("seller", "other_seller"):
        assert response.status_code == 200, response.text
    elif who is None:
        assert_error(response, 401, "unauthorized")
    else:
        assert_error(response, 403, "seller_only")


def _support_case(client, token: str, tokens: dict[str, str]) -> int:
    """A customer's general-line conversation, handed to a person (support's queue)."""
    started = client.post("/api/v1/conversations", json={"line": "general"}, headers=auth(token))
    assert started.status_code in (200, 201), started.text
    conversation_id = started.json()["id"]
    assert _send(client, token, conversation_id, "Наушники пришли без кейса").status_code == 201
    handoff = client.post(f"/api/v1/conversations/{conversation_id}/handoff", headers=auth(token))
    assert handoff.status_code == 200, handoff.text
    assert handoff.json()["status"] in ("queued", "assigned")
    return conversation_id


def test_support_brings_the_seller_in_and_the_seller_passes_it_back(client, demo_db, world):
    tokens = world["tokens"]
    _, token = _customer(demo_db)
    case = _support_case(client, token, tokens)
    bring = f"/api/v1/conversations/{case}/seller"
    assert_error(
        client.post(bring, json={"seller_id": world["mi_store"]}, headers=auth(token)),
        403,
        "forbidden",
    )
    assert_error(
        client.post(bring, json={"seller_id": 987654321}, headers=auth(tokens["supervisor"])),
        404,
        "seller_not_found",
    )
    assert all(d["id"] != case for d in _buyers(client, tokens["seller"])["buyers"])
    brought = client.post(
        bring, json={"seller_id": world["mi_store"]}, headers=auth(tokens["supervisor"])
    )
    assert brought.status_code == 200, brought.text
    assert brought.json()["line"] == "seller_chat"
    assert _hub_item(client, token, "sellers", case) is not None
    assert any(d["id"] == case for d in _buyers(client, tokens["seller"])["buyers"])
    assert (
        _send(client, tokens["seller"], case, "Кейс положим в следующую посылку.").status_code
        == 201
    )
    assert "подключён продавец" in " ".join(_stored(demo_db, case))

    to_support = f"/api/v1/seller/dialogues/{case}/to-support"
    assert_error(
        client.post(to_support, headers=auth(tokens["other_seller"])), 404, "conversation_not_found"
    )
    assert_error(client.post(to_support, headers=auth(token)), 403, "forbidden")
    passed = client.post(to_support, headers=auth(tokens["seller"]))
    assert passed.status_code == 200, passed.text
    assert passed.json()["line"] == "general"
    assert passed.json()["status"] in ("queued", "assigned")
    again = client.post(to_support, headers=auth(tokens["seller"]))
    assert again.status_code == 200 and again.json()["id"] == case
    assert _hub_item(client, token, "support", case) is not None
    # the seller keeps reading the case, but support answers it now
    assert (
        client.get(
            f"/api/v1/conversations/{case}/messages", headers=auth(tokens["seller"])
        ).status_code
        == 200
    )
    assert_error(_send(client, tokens["seller"], case, "Ещё вопрос?"), 403, "not_assigned")
    assert "передал диалог в поддержку" in " ".join(_stored(demo_db, case))


def test_a_seller_chat_cannot_be_sent_to_the_seller_line_by_transfer(client, demo_db, world):
    tokens = world["tokens"]
    _, token = _customer(demo_db)
    case = _support_case(client, token, tokens)
    response = client.post(
        f"/api/v1/conversations/{case}/transfer",
        json={"to_line": "seller_chat"},
        headers=auth(tokens["supervisor"]),
    )
    assert_error(response, 422, "seller_chat_transfer")


def test_a_description_error_of_fbo_goods_opens_the_seller_chat(client, demo_db, world):
    _, token = _customer(demo_db)
    response = client.post(
        f"/api/v1/products/{EARPHONES}/inaccuracy",
        json={"text": "Указан неверный вес"},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["creates_task"] is False and body["seller_conversation_id"]
    assert "продав" in body["message"]
    item = _hub_item(client, token, "sellers", body["seller_conversation_id"])
    assert item is not None and item["seller_id"] == world["mi_store"]


def test_demo_sellers_login_answers_for_mi_store(client, world):
    login = client.post("/api/v1/auth/login", json={"login": "sellers", "password": DEMO_PASSWORD})
    assert login.status_code == 200
    token = login.json()["token"]
    assert _buyers(client, token)["buyers"] is not None
    me = client.get("/api/v1/auth/me", headers=auth(token)).json()
    assert me["sellers"] == [world["mi_store"]]
    operator = client.get("/api/v1/auth/me", headers=auth(world["tokens"]["operator"])).json()
    assert operator["sellers"] == []
