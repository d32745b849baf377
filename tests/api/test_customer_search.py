"""«Найти клиента» (issue 11, item 4): one box for a phone in any Russian writing, an e-mail,
an order number, an ID or a name; staff only; masked; audited without the query."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketdesk.store.models import AuditEntry
from tests.conftest import ROLES, auth, run_db
from tests.errors import assert_error


def search(client, token, q):
    return client.get("/api/v1/customers", params={"q": q}, headers=auth(token))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["customers"]]


@pytest.mark.parametrize(
    "phone",
    ["8 (900) 000-00-01", "+7 900 000-00-01", "79000000001", "9000000001", "+7(900)0000001"],
)
def test_a_phone_in_any_common_writing(client, tokens, phone):
    response = search(client, tokens["operator"], phone)
    assert ids(response) == [58561573]
    hit = response.json()["customers"][0]
    assert hit["matched_by"] == ["phone"] and hit["matched_by_title"] == "телефон"
    masked = hit["contacts_masked"]["phone"]
    assert masked == "+7 ••• •••-••-01"  # masked like the card


def test_an_order_number_finds_its_customer(client, tokens):
    response = search(client, tokens["operator"], "58561573-0011")
    assert ids(response) == [58561573]
    assert response.json()["customers"][0]["matched_by"] == ["order"]


def test_an_email_without_regard_to_case(client, tokens):
    assert ids(search(client, tokens["operator"], "Olga.Demo@Example.COM")) == [61000001]


def test_an_id(client, tokens):
    response = search(client, tokens["supervisor"], "61000003")
    assert 61000003 in ids(response)
    assert "id" in response.json()["customers"][0]["matched_by"]


def test_the_beginning_of_a_name_ignoring_case_and_yo(client, tokens, new_customer, demo_db):
    customer_id, _ = new_customer()

    async def rename(session):
        from marketdesk.store.models import Customer

        customer = await session.get(Customer, customer_id)
        customer.full_name = "Ёжикова  Алёна"
        await session.commit()

    run_db(demo_db, rename)
    assert customer_id in ids(search(client, tokens["operator"], "ежикова ал"))
    assert customer_id in ids(search(client, tokens["operator"], "ЁЖИКОВА"))
    assert customer_id not in ids(search(client, tokens["operator"], "алёна"))  # surname first
    assert 58561573 in ids(search(client, tokens["operator"], "Анненко"))


def test_nothing_found_is_an_empty_list(client, tokens):
    assert ids(search(client, tokens["operator"], "+7 999 999-99-98")) == []


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("   ", "search_query_empty"),
        ("а", "search_query_unclear"),  # one letter is not a name
        ("№%;", "search_query_unclear"),
        ("почта@", "search_query_unclear"),
        ("я" * 201, "search_query_too_long"),
    ],
)
def test_queries_that_cannot_be_searched(client, tokens, q, code):
    assert_error(search(client, tokens["operator"], q), 422, code)


def test_only_staff_search(client, tokens):
    for kind in ("customer", "visitor"):
        assert search(client, tokens[kind], "Анненко").status_code == 403
    assert client.get("/api/v1/customers", params={"q": "Анненко"}).status_code == 401
    for role in ROLES:
        assert search(client, tokens[role], "Анненко").status_code == 200, role


def test_every_search_is_audited_without_the_query(client, tokens, demo_db):
    search(client, tokens["operator"], "8 (900) 000-00-01")

    async def last(session):
        return (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "customer.search")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        ).one()

    entry = run_db(demo_db, last)
    assert entry.details["kinds"] == ["phone"]
    assert entry.details["customer_ids"] == [58561573]
    assert "9000000001" not in str(entry.details) and "900" not in str(entry.details)
