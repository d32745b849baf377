"""The account's API (issue 14, item 3): the customer's orders, balances by kind, withdrawal
with the bank details (422 ``invalid_account`` for a pair that fails the control key), the
withdrawal list with masked accounts, and the certificates with the daily limit. Who may call
each route, for every kind of user."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.store.models import (
    AuditEntry,
    BalanceEntry,
    Order,
    OrderItem,
    OrderStatusEvent,
    WithdrawalRequest,
    utcnow,
)
from tests.conftest import ROLES, auth, run_db
from tests.errors import assert_error

BIK = "049805746"
ACCOUNT = "40602810700000000025"  # the Bank of Russia's worked example for that BIK
WRONG_ACCOUNT = "40602810800000000025"  # its key digit changed
EARPHONES = 235260644
EVERYONE = (*ROLES, "customer", "visitor", None, "bad")
READS = (
    "/api/v1/me/orders",
    "/api/v1/me/balances",
    "/api/v1/me/withdrawals",
    "/api/v1/me/certificates",
)


def _headers(tokens: dict[str, str], who: str | None) -> dict[str, str]:
    return {} if who is None else auth(tokens.get(who, "not-a-token"))


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("who", EVERYONE)
def test_who_reads_the_account(client, tokens, path, who):
    response = client.get(path, headers=_headers(tokens, who))
    if who == "customer":
        assert response.status_code == 200, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert_error(response, 403, "customer_only")


@pytest.mark.parametrize("who", EVERYONE)
def test_who_withdraws(client, tokens, new_customer, who):
    body = {"amount": "100", "recipient": "Иванов Иван", "bik": BIK, "account": ACCOUNT}
    if who == "customer":
        _, token = new_customer(rubles=((150, "refund"),))
        headers = auth(token)
    else:
        headers = _headers(tokens, who)
    response = client.post("/api/v1/me/balance/withdraw", json=body, headers=headers)
    if who == "customer":
        assert response.status_code == 200, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert_error(response, 403, "customer_only")


def _withdraw(client, token, **changes: Any):
    body = {"amount": "150", "recipient": "Иванов Иван Иванович", "bik": BIK, "account": ACCOUNT}
    body.update(changes)
    return client.post("/api/v1/me/balance/withdraw", json=body, headers=auth(token))


def _requests(demo_db, customer_id: int) -> list[WithdrawalRequest]:
    async def work(session):
        rows = await session.scalars(
            select(WithdrawalRequest).where(WithdrawalRequest.customer_id == customer_id)
        )
        return list(rows)

    return run_db(demo_db, work)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"account": WRONG_ACCOUNT}, "invalid_account"),
        ({"bik": "049805747"}, "invalid_account"),  # the account is another bank's
        ({"account": "4060281070000000002"}, "invalid_account"),  # 19 digits
        ({"account": "2200 1234 5678 9010"}, "invalid_account"),  # a card number
        ({"bik": "04980574"}, "invalid_bik"),
        ({"bik": "БИК"}, "invalid_bik"),
        ({"recipient": "   "}, "recipient_required"),
        ({"recipient": "12345 -"}, "recipient_required"),
        ({"recipient": "Я" * 201}, "recipient_required"),
    ],
)
def test_wrong_details_are_refused_and_nothing_changes(
    client, demo_db, new_customer, changes, code
):
    customer_id, token = new_customer(rubles=((500, "refund"),))
    error = assert_error(_withdraw(client, token, **changes), 422, code)
    assert "message" in error
    assert client.get("/api/v1/me/balance", headers=auth(token)).json()["total"] == "500.00"
    assert _requests(demo_db, customer_id) == []


def test_missing_details_are_a_validation_error(client, new_customer):
    _, token = new_customer(rubles=((500, "refund"),))
    response = client.post(
        "/api/v1/me/balance/withdraw", json={"amount": "150"}, headers=auth(token)
    )
    assert response.status_code == 422


def test_the_amount_rule_still_holds_with_good_details(client, new_customer):
    _, token = new_customer(rubles=((500, "refund"),))
    assert_error(_withdraw(client, token, amount="99.99"), 422, "below_minimum")
    _, small = new_customer(rubles=((40, "refund"),))
    assert_error(_withdraw(client, small, amount="30"), 422, "must_withdraw_all")
    assert _withdraw(client, small, amount="40").status_code == 200


def test_a_withdrawal_keeps_the_details_and_shows_the_account_masked(client, demo_db, new_customer):
    customer_id, token = new_customer(rubles=((500, "refund"), (1000, "certificate")))
    response = _withdraw(
        client, token, account="40602 810 7 0000 0000025", recipient="  Иванов   Иван  "
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["balance"]["withdrawable"] == "350.00"
    view = body["withdrawal"]
    assert view["account_masked"] == "•••• 0025" and view["recipient"] == "Иванов Иван"
    assert view["number"] in body["message"] and ACCOUNT not in response.text
    [stored] = _requests(demo_db, customer_id)
    assert (stored.recipient, stored.bik, stored.account) == ("Иванов Иван", BIK, ACCOUNT)
    assert stored.amount == 15000 and stored.status == "accepted"
    listed = client.get("/api/v1/me/withdrawals", headers=auth(token))
    assert [w["number"] for w in listed.json()["withdrawals"]] == [view["number"]]
    assert ACCOUNT not in listed.text

    async def audit(session):
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "balance.withdrawn")
        )
        return [row for row in rows if row.entity_id == str(customer_id)]

    [entry] = run_db(demo_db, audit)
    assert ACCOUNT not in str(entry.details) and "0025" in str(entry.details)


def test_balances_by_kind_with_where_the_money_came_from(client, demo_db, new_customer):
    customer_id, token = new_customer(rubles=((500, "refund"), (1000, "certificate")))

    async def points(session):
        session.add(
            BalanceEntry(customer_id=customer_id, kind="ozon_points", amount=7000, source="review")
        )
        await session.commit()

    run_db(demo_db, points)
    assert _withdraw(client, token, amount="200").status_code == 200
    body = client.get("/api/v1/me/balances", headers=auth(token)).json()
    kinds = {b["kind"]["code"]: b for b in body["balances"]}
    assert set(kinds) == {"rubles", "ozon_bonuses", "ozon_points", "premium_points"}
    rubles = kinds["rubles"]
    assert rubles["amount"] == "1300.00" and rubles["unit"] == "₽"
    assert {s["source"]["title"]: s["amount"] for s in rubles["sources"]} == {
        "Подарочный сертификат": "1000.00",
        "Возврат за заказ": "500.00",
        "Вывод средств": "-200.00",
    }
    assert kinds["ozon_points"]["amount"] == "70.00" and kinds["ozon_points"]["unit"] == "Б"
    assert kinds["ozon_points"]["sources"][0]["source"]["title"] == "Баллы за отзыв"
    assert kinds["premium_points"]["sources"] == []
    assert body["rubles"] == {
        "total": "1300.00",
        "certificate_money": "1000.00",
        "withdrawable": "300.00",
    }


def _order(demo_db, customer_id: int, number: str, received_days_ago: int | None) -> datetime:
    now = utcnow()

    async def work(session):
        order = Order(
            number=number,
            customer_id=customer_id,
            status="completed" if received_days_ago is not None else "in_delivery",
            delivery_type="pickup_point",
            created_at=now - timedelta(days=(received_days_ago or 0) + 3),
            total=388000,
        )
        session.add(order)
        await session.flush()
        session.add_all(
            [
                OrderItem(
                    order_id=order.id,
                    product_id=EARPHONES,
                    name="Наушники",
                    quantity=2,
                    price=194000,
                ),
                OrderItem(
                    order_id=order.id, product_id=None, name="Снят с продажи", quantity=1, price=0
                ),
            ]
        )
        if received_days_ago is not None:
            session.add(
                OrderStatusEvent(
                    order_id=order.id,
                    status="completed",
                    at=now - timedelta(days=received_days_ago),
                )
            )
        await session.commit()

    run_db(demo_db, work)
    return now - timedelta(days=received_days_ago or 0)


def test_orders_with_status_items_and_returns(client, demo_db, new_customer):
    customer_id, token = new_customer()
    other_id, _ = new_customer()
    received = _order(demo_db, customer_id, f"{customer_id}-0001", 20)
    _order(demo_db, customer_id, f"{customer_id}-0002", 2)
    _order(demo_db, customer_id, f"{customer_id}-0003", None)
    _order(demo_db, other_id, f"{other_id}-0001", 2)
    returned = client.post(
        f"/api/v1/orders/{customer_id}-0002/returns",
        json={"items": [{"product_id": EARPHONES, "quantity": 1}], "reason": "proper_quality"},
        headers=auth(token),
    )
    assert returned.status_code == 201, returned.text
    body = client.get("/api/v1/me/orders", headers=auth(token)).json()
    assert set(body) == {"orders"}
    orders = body["orders"]
    assert [o["number"] for o in orders] == [f"{customer_id}-000{n}" for n in (3, 2, 1)]
    on_way, recent, old = orders
    assert on_way["status"] == {"code": "in_delivery", "title": "Передан в доставку"}
    assert on_way["received_on"] is None
    assert recent["status"]["title"] == "Выполнен"
    assert recent["returns"] == [returned.json()["number"]] and old["returns"] == []
    assert [(i["name"], i["quantity"], i["price"], i["sum"]) for i in recent["items"]] == [
        ("Наушники", 2, "1940.00", "3880.00"),
        ("Снят с продажи", 1, "0.00", "0.00"),
    ]
    assert old["received_on"] == received.astimezone(MOSCOW_TZ).date().isoformat()
    # the old order's return is refused with the day its term ended
    refused = client.post(
        f"/api/v1/orders/{customer_id}-0001/returns",
        json={"items": [{"product_id": EARPHONES, "quantity": 1}], "reason": "proper_quality"},
        headers=auth(token),
    )
    error = assert_error(refused, 409, "return_refused")
    last_day = date.fromisoformat(error["last_day"])
    assert last_day == date.fromisoformat(old["received_on"]) + timedelta(days=7)
    assert f"закончился {last_day:%d.%m.%Y}" in error["message"]


def test_a_customer_with_no_orders_gets_an_empty_list(client, new_customer):
    _, token = new_customer()
    assert client.get("/api/v1/me/orders", headers=auth(token)).json() == {"orders": []}


def test_certificates_list_and_the_daily_limit(client, new_customer, issue_code):
    _, token = new_customer()
    first = client.get("/api/v1/me/certificates", headers=auth(token)).json()
    assert first == {
        "certificates": [],
        "limit": {"per_day": 3, "used": 0, "lifts_at": None, "individual": True},
    }
    codes = [issue_code(500 * n) for n in (1, 2, 3, 4)]
    for code in codes[:3]:
        done = client.post(
            "/api/v1/me/certificates/activate", json={"code": code}, headers=auth(token)
        )
        assert done.status_code == 200, done.text
    fourth = client.post(
        "/api/v1/me/certificates/activate", json={"code": codes[3]}, headers=auth(token)
    )
    error = assert_error(fourth, 422, "daily_limit")
    assert "после" in error["message"] and "по московскому времени" in error["message"]
    body = client.get("/api/v1/me/certificates", headers=auth(token)).json()
    assert [c["nominal"] for c in body["certificates"]] == ["1500.00", "1000.00", "500.00"]
    assert [c["code_masked"][-4:] for c in body["certificates"]] == [
        code.replace("-", "")[-4:] for code in reversed(codes[:3])
    ]
    assert body["limit"]["used"] == 3
    lifts_at = datetime.fromisoformat(body["limit"]["lifts_at"].replace("Z", "+00:00"))
    assert lifts_at == datetime.fromisoformat(error["retry_at"])
    # no code is ever answered whole
    assert all(code not in str(body) for code in codes)


def test_a_legal_entity_sees_why_it_cannot_activate(client, new_customer):
    _, token = new_customer(kind="legal_entity")
    body = client.get("/api/v1/me/certificates", headers=auth(token)).json()
    assert body["limit"]["individual"] is False


def test_forgetting_the_customer_erases_the_withdrawals_bank_details(client, demo_db, new_customer):
    from marketdesk.services.sync.forget import FORGOTTEN_NAME, forget_customer

    customer_id, token = new_customer(rubles=((500, "refund"),))
    assert _withdraw(client, token).status_code == 200

    async def forget(session):
        await forget_customer(session, customer_id, actor="test")

    run_db(demo_db, forget)
    [stored] = _requests(demo_db, customer_id)
    assert (stored.recipient, stored.account) == (FORGOTTEN_NAME, "•••• 0025")
    assert (stored.bik, stored.amount) == (BIK, 15000)  # what is not personal stays
