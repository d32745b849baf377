"""POST /api/v1/me/certificates/activate: every refusal with its code; the double activation
race on both databases; no operator path."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from marketdesk.services.auth import authenticate
from marketdesk.services.certificates import CertificateRefused, activate_certificate
from marketdesk.store.db import Database
from tests.conftest import ROLES, auth
from tests.errors import assert_error

PATH = "/api/v1/me/certificates/activate"


def activate(client, token, code):
    return client.post(PATH, json={"code": code}, headers=auth(token))


def test_activation_credits_the_nominal_as_certificate_money(client, new_customer, issue_code):
    _, token = new_customer()
    code = issue_code(5000)
    response = activate(client, token, code.lower().replace("-", " "))  # as typed by a person
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["nominal"] == "5000.00"
    assert body["balance_rubles"] == "5000.00"
    expires = datetime.fromisoformat(body["money_expires_at"])
    assert 3 * 365 <= (expires - datetime.now(UTC)).days <= 3 * 366
    balance = client.get("/api/v1/me/balance", headers=auth(token)).json()
    assert balance == {"total": "5000.00", "certificate_money": "5000.00", "withdrawable": "0.00"}


def test_a_code_is_single_use(client, new_customer, issue_code):
    code = issue_code()
    _, first = new_customer()
    _, second = new_customer()
    assert activate(client, first, code).status_code == 200
    again = activate(client, second, code)
    assert_error(again, 422, "already_used")


def test_unknown_code(client, new_customer):
    _, token = new_customer()
    response = activate(client, token, "AAAA-BBBB-CCCC-DDDD")
    assert_error(response, 422, "unknown_code")


def test_legal_entity_cannot_activate(client, new_customer, issue_code):
    _, token = new_customer(kind="legal_entity")
    response = activate(client, token, issue_code())
    assert_error(response, 422, "legal_entity")


def test_expired_code(client, new_customer, issue_code):
    _, token = new_customer()
    response = activate(client, token, issue_code(expires_at=datetime.now(UTC) - timedelta(days=1)))
    assert_error(response, 422, "expired")


def test_fourth_certificate_in_24_hours_is_refused_with_the_time_it_lifts(
    client, new_customer, issue_code
):
    _, token = new_customer()
    for _ in range(3):
        assert activate(client, token, issue_code(500)).status_code == 200
    fourth = activate(client, token, issue_code(500))
    error = assert_error(fourth, 422, "daily_limit")
    assert "по московскому времени" in error["message"]
    lifts = datetime.fromisoformat(error["retry_at"])
    assert timedelta(hours=23) < lifts - datetime.now(UTC) <= timedelta(hours=24)


def test_the_limit_lifts_after_24_hours(demo_db, new_customer, issue_code):
    _, token = new_customer()
    codes = [issue_code(500) for _ in range(5)]
    secret = demo_db.settings().hashing_secret()
    start = datetime.now(UTC)

    async def main():
        database = Database(demo_db.url)
        try:
            async with database.sessions() as session:
                principal = await authenticate(session, token)
            results = []
            for code, at in zip(
                codes,
                [
                    start,
                    start + timedelta(hours=1),
                    start + timedelta(hours=2),
                    start + timedelta(hours=23),
                    start + timedelta(hours=24, seconds=1),
                ],
                strict=True,
            ):
                async with database.sessions() as session:
                    try:
                        await activate_certificate(session, principal, code, secret=secret, now=at)
                        results.append("ok")
                    except CertificateRefused as exc:
                        results.append(exc.code)
            return results
        finally:
            await database.dispose()

    assert asyncio.run(main()) == ["ok", "ok", "ok", "daily_limit", "ok"]


def test_two_simultaneous_activations_of_one_code_exactly_one_succeeds(
    demo_db, new_customer, issue_code
):
    secret = demo_db.settings().hashing_secret()
    tokens = [new_customer()[1] for _ in range(6)]
    rounds = [issue_code(1000) for _ in range(3)]

    async def main():
        database = Database(demo_db.url)
        try:
            principals = []
            for token in tokens:
                async with database.sessions() as session:
                    principals.append(await authenticate(session, token))

            async def one(principal, code):
                async with database.sessions() as session:
                    try:
                        await activate_certificate(session, principal, code, secret=secret)
                        return "ok"
                    except CertificateRefused as exc:
                        return exc.code

            outcomes = []
            for code in rounds:  # six customers race for each code
                outcomes.append(await asyncio.gather(*(one(p, code) for p in principals)))
            return outcomes
        finally:
            await database.dispose()

    for outcome in asyncio.run(main()):
        assert sorted(outcome) == ["already_used"] * 5 + ["ok"]


@pytest.mark.parametrize("who", [*ROLES, "visitor"])
def test_no_operator_or_visitor_path_activates_a_certificate(client, tokens, issue_code, who):
    code = issue_code()
    response = activate(client, tokens[who], code)
    expected = "login_required" if who == "visitor" else "operator_may_not_activate"
    assert_error(response, 403, expected)


def test_no_token_is_401(client):
    assert client.post(PATH, json={"code": "X"}).status_code == 401


@pytest.mark.parametrize(
    "body", [{}, {"code": ""}, {"code": 123}, {"code": "x" * 65}, {"code": "A", "customer_id": 1}]
)
def test_malformed_request(client, tokens, body):
    response = client.post(PATH, json=body, headers=auth(tokens["customer"]))
    assert_error(response, 422, "validation_error")


def test_code_of_only_dashes_is_invalid(client, new_customer):
    _, token = new_customer()
    response = activate(client, token, "----")
    assert_error(response, 422, "invalid_certificate_code")
