"""GET /api/v1/certificates/lookup (issue 20, item 6): an operator checks whether a gift
certificate is activated, by its whole code or the last characters of a plastic one; never
the code in the answer; audited; limited per operator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from marketdesk.services.certificate_lookup import lookup_certificate, mask_customer_id
from marketdesk.services.errors import RateLimited
from marketdesk.services.principals import Principal
from marketdesk.store.db import Database
from marketdesk.store.models import AuditEntry, Operator, OperatorRole
from tests.conftest import auth
from tests.errors import assert_error

PATH = "/api/v1/certificates/lookup"


def lookup(client, token, code, **params):
    return client.get(PATH, params={"code": code, **params}, headers=auth(token))


def test_a_new_code_is_not_activated(client, tokens, issue_code):
    code = issue_code(5000)
    response = lookup(client, tokens["operator"], code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "code"
    [found] = body["certificates"]
    assert (found["status"], found["status_title"]) == ("not_activated", "Не активирован")
    assert found["nominal"] == "5000.00"
    assert found["activated_by"] is None
    assert code.replace("-", "") not in response.text  # never the code itself
    assert found["code_tail"] == code[-4:]


def test_an_activated_code_says_when_and_by_whom_masked(client, tokens, issue_code, new_customer):
    code = issue_code(1000)
    customer_id, customer = new_customer()
    activated = client.post(
        "/api/v1/me/certificates/activate", json={"code": code}, headers=auth(customer)
    )
    assert activated.status_code == 200
    body = lookup(
        client, tokens["backoffice"], code.lower(), customer_id=customer_id
    ).json()  # typed in lower case by a person
    [found] = body["certificates"]
    assert found["status"] == "activated"
    assert found["activated_by"] == mask_customer_id(customer_id)
    assert str(customer_id) not in str(body)
    assert found["activated_by_this_customer"] is True
    assert datetime.fromisoformat(found["activated_at"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert found["money_expires_at"] is not None
    other = lookup(client, tokens["operator"], code, customer_id=58561573).json()
    assert other["certificates"][0]["activated_by_this_customer"] is False


def test_an_expired_code(client, tokens, issue_code):
    code = issue_code(500, expires_at=datetime.now(UTC) - timedelta(days=1))
    [found] = lookup(client, tokens["supervisor"], code).json()["certificates"]
    assert (found["status"], found["status_title"]) == ("expired", "Срок действия истёк")


def test_the_last_characters_of_a_plastic_certificate(client, tokens, issue_code):
    plastic = issue_code(2000, kind="plastic")
    electronic = issue_code(2000)
    body = lookup(client, tokens["operator"], plastic[-4:].lower()).json()
    assert body["query"] == "tail"
    assert [c["code_tail"] for c in body["certificates"]] == [plastic[-4:]] * len(
        body["certificates"]
    )
    assert {c["kind"] for c in body["certificates"]} == {"plastic"}
    # an electronic certificate is never found by its tail (nothing is printed)
    tail_only = lookup(client, tokens["operator"], electronic[-4:]).json()
    assert all(c["kind"] == "plastic" for c in tail_only["certificates"])


@pytest.mark.parametrize("code", ["AB", "ABCDEFGH", "A" * 17])
def test_a_code_of_another_length_is_refused(client, tokens, code):
    response = lookup(client, tokens["operator"], code)
    assert_error(response, 422, "invalid_certificate_code")


def test_an_unknown_code(client, tokens):
    response = lookup(client, tokens["operator"], "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 200
    assert response.json()["certificates"] == []
    assert "не найден" in response.json()["message"]


@pytest.mark.parametrize("who", ["customer", "visitor"])
def test_customers_cannot_look_up(client, tokens, who, issue_code):
    response = lookup(client, tokens[who], issue_code())
    assert response.status_code == 403


def test_lookups_are_audited_without_the_code(client, tokens, issue_code, demo_db):
    code = issue_code()
    lookup(client, tokens["operator"], code)
    page = client.get(
        "/api/v1/audit", params={"action": "certificate.lookup"}, headers=auth(tokens["admin"])
    ).json()
    assert page["total"] >= 1
    assert code.replace("-", "") not in str(page)
    assert page["entries"][0]["details"]["query"] == "code"


def test_an_operator_is_limited_per_hour(demo_db, issue_code):
    code = issue_code()
    secret = demo_db.settings().hashing_secret()

    async def main():
        database = Database(demo_db.url)
        try:
            async with database.sessions() as session:
                operator = Operator(
                    login=f"lookup-{datetime.now(UTC).timestamp()}",
                    password_hash="x",
                    full_name="Проверяющий",
                )
                session.add(operator)
                await session.flush()
                session.add(OperatorRole(operator_id=operator.id, role="operator"))
                await session.commit()
                who = Principal("operator", operator.id, roles=frozenset({"operator"}))
            for _ in range(3):
                async with database.sessions() as session:
                    await lookup_certificate(session, who, code, secret=secret, per_hour=3)
            async with database.sessions() as session:
                with pytest.raises(RateLimited) as refused:
                    await lookup_certificate(session, who, code, secret=secret, per_hour=3)
            async with database.sessions() as session:
                count = len(
                    list(
                        await session.scalars(
                            select(AuditEntry.id).where(
                                AuditEntry.action == "certificate.lookup",
                                AuditEntry.actor_id == str(operator.id),
                            )
                        )
                    )
                )
            return refused.value, count
        finally:
            await database.dispose()

    refused, count = asyncio.run(main())
    assert refused.code == "lookup_limit"
    assert "3 раз в час" in refused.message
    assert count == 3  # the refused lookup read nothing and wrote nothing


def test_mask_customer_id():
    assert mask_customer_id(61000001) == "61••••01"
    assert mask_customer_id(123) == "•••"
