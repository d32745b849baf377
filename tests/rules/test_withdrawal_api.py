"""POST /api/v1/me/balance/withdraw: at least 100 ₽, or the whole balance under 100 ₽;
certificate money never leaves."""

from __future__ import annotations

import pytest

from tests.conftest import ROLES, auth
from tests.errors import assert_error

PATH = "/api/v1/me/balance/withdraw"
# a right pair (the Bank of Russia's worked example): tests/account checks the details
DETAILS = {"recipient": "Иванов Иван", "bik": "049805746", "account": "40602810700000000025"}


def withdraw(client, token, amount):
    return client.post(PATH, json={"amount": amount, **DETAILS}, headers=auth(token))


@pytest.mark.parametrize(
    ("balance", "amount", "outcome"),
    [
        (99, "99", "ok"),  # under 100 ₽: only the whole balance
        (99, "50", "must_withdraw_all"),
        (99, "99.01", "exceeds_balance"),
        (100, "100", "ok"),
        (100, "99.99", "below_minimum"),
        (101, "100", "ok"),
        (101, "101", "ok"),
        (101, "1", "below_minimum"),
        (101, "0", "invalid_amount"),
        (101, "-100", "invalid_amount"),
        (101, "101.01", "exceeds_balance"),
    ],
)
def test_withdrawal_boundaries(client, new_customer, balance, amount, outcome):
    _, token = new_customer(rubles=((balance, "refund"),))
    response = withdraw(client, token, amount)
    if outcome == "ok":
        assert response.status_code == 200, response.text
        left = balance * 100 - round(float(amount) * 100)
        assert response.json()["balance"]["total"] == f"{left // 100}.{left % 100:02d}"
    else:
        assert_error(response, 422, outcome)
        assert client.get("/api/v1/me/balance", headers=auth(token)).json()["total"] == (
            f"{balance}.00"
        )  # nothing changed


def test_certificate_money_cannot_be_withdrawn(client, new_customer):
    _, token = new_customer(rubles=((1500, "certificate"), (250, "refund")))
    assert client.get("/api/v1/me/balance", headers=auth(token)).json() == {
        "total": "1750.00",
        "certificate_money": "1500.00",
        "withdrawable": "250.00",
    }
    too_much = withdraw(client, token, "300")
    assert_error(too_much, 422, "exceeds_balance")
    assert "сертификат" in too_much.json()["error"]["message"]
    assert withdraw(client, token, "250").status_code == 200
    after = client.get("/api/v1/me/balance", headers=auth(token)).json()
    assert after == {"total": "1500.00", "certificate_money": "1500.00", "withdrawable": "0.00"}


@pytest.mark.parametrize("amount", ["abc", "1.001", "NaN", "Infinity", None, [], "1e999"])
def test_malformed_amount(client, new_customer, amount):
    _, token = new_customer(rubles=((500, "refund"),))
    response = withdraw(client, token, amount)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"validation_error", "invalid_amount"}


@pytest.mark.parametrize("who", [*ROLES, "visitor"])
def test_only_the_customer_withdraws(client, tokens, who):
    response = withdraw(client, tokens[who], "100")
    assert_error(response, 403, "customer_only")
