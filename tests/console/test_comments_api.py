"""POST /api/v1/customers/{id}/comments: «Написать комментарий» on the customer card."""

from __future__ import annotations

import pytest

from tests.conftest import auth, run_db
from tests.errors import assert_error

STAFF = ("operator", "backoffice", "supervisor", "admin")
CUSTOMER = 61000003


def add(client, tokens, text, customer_id=CUSTOMER, who="operator"):
    return client.post(
        f"/api/v1/customers/{customer_id}/comments",
        json={"text": text},
        headers=auth(tokens[who]),
    )


def test_a_comment_is_on_the_card_newest_first_with_its_author(client, tokens):
    first = add(client, tokens, "Клиент просил перезвонить после 18:00")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["customer_id"] == CUSTOMER and body["author"] == "Иванова Мария"
    second = add(client, tokens, "  Перезвонили, вопрос решён  ", who="supervisor")
    assert second.json()["text"] == "Перезвонили, вопрос решён"  # trimmed
    card = client.get(f"/api/v1/customers/{CUSTOMER}", headers=auth(tokens["operator"])).json()
    texts = [c["text"] for c in card["comments"]]
    assert texts.index("Перезвонили, вопрос решён") < texts.index(
        "Клиент просил перезвонить после 18:00"
    )
    assert card["comments"][0]["author"] == "Соколова Анна"


def test_html_is_kept_as_text(client, tokens):
    payload = '<img src=x onerror="alert(1)">'
    assert add(client, tokens, payload).json()["text"] == payload


def test_a_comment_is_audited(client, tokens, demo_db):
    comment = add(client, tokens, "Для аудита").json()

    async def work(session):
        from sqlalchemy import select

        from marketdesk.store.models import AuditEntry

        return list(
            await session.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.action == "customer.comment_added",
                    AuditEntry.entity_id == str(CUSTOMER),
                )
            )
        )

    assert {"comment_id": comment["id"]} in run_db(demo_db, work)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": ""}, 422, "comment_empty"),
        ({"text": "   \n "}, 422, "comment_empty"),
        ({"text": "x" * 2001}, 422, "comment_too_long"),
        ({"text": "a\x00b"}, 422, "invalid_characters"),  # the input guard (issue 18)
        ({}, 422, "validation_error"),
        ({"text": 5}, 422, "validation_error"),
        ({"text": "ok", "pinned": True}, 422, "validation_error"),
    ],
)
def test_bad_input(client, tokens, body, status, code):
    response = client.post(
        f"/api/v1/customers/{CUSTOMER}/comments", json=body, headers=auth(tokens["operator"])
    )
    assert_error(response, status, code)


@pytest.mark.parametrize(("customer_id", "status"), [(99999999, 404), (0, 422), ("abc", 422)])
def test_bad_customer(client, tokens, customer_id, status):
    response = client.post(
        f"/api/v1/customers/{customer_id}/comments",
        json={"text": "ok"},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == status


@pytest.mark.parametrize("who", [*STAFF, "customer", "visitor", None, "bad"])
def test_who_may_comment(client, tokens, who):
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    response = client.post(
        f"/api/v1/customers/{CUSTOMER}/comments", json={"text": f"от {who}"}, headers=headers
    )
    if who in STAFF:
        assert response.status_code == 201, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert response.status_code == 403


def test_the_service_notifies_after_the_commit(demo_db):
    from marketdesk.services.comments import add_comment
    from marketdesk.services.errors import PermissionDenied
    from marketdesk.services.principals import Principal

    events = []

    async def publish(channels, event):
        events.append((list(channels), event))

    operator = Principal(kind="operator", id=1, name="Иванова Мария", roles=frozenset({"operator"}))

    async def work(session):
        created = await add_comment(session, operator, CUSTOMER, "Уведомление", publish=publish)
        customer = Principal(kind="customer", id=CUSTOMER)
        try:
            await add_comment(session, customer, CUSTOMER, "нельзя", publish=publish)
        except PermissionDenied:
            pass
        else:
            raise AssertionError("a customer may not comment")
        return created

    created = run_db(demo_db, work)
    assert events == [
        (
            [f"customer:{CUSTOMER}"],
            {
                "type": "customer_comment",
                "customer_id": CUSTOMER,
                "comment": created.model_dump(mode="json"),
            },
        )
    ]
