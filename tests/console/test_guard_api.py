"""The privacy guard of the composer: POST /api/v1/guard/check, and the console's send path
POST /api/v1/console/conversations/{id}/messages that refuses on the server."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import auth, run_db
from tests.errors import assert_error

STAFF = ("operator", "backoffice", "supervisor", "admin")


def check(client, tokens, text, customer_id=None, who="operator"):
    body = {"text": text} | ({"customer_id": customer_id} if customer_id else {})
    response = client.post("/api/v1/guard/check", json=body, headers=auth(tokens[who]))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_plain_answer_passes(client, tokens):
    result = check(client, tokens, "Здравствуйте! Ваш заказ 58561573-0011 выполнен.", 58561573)
    assert result == {"ok": True, "violations": [], "message": None}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("У вас 5 пересечений с другими аккаунтами", "coupon_ban_details"),
        ("Пересечения этого аккаунта с другими: 1", "coupon_ban_details"),
        ("Ваш аккаунт связан с другими аккаунтами", "coupon_ban_details"),
        ("Ваша карта 4111 1111 1111 1111", "full_card_number"),
        ("Позвоните курьеру: +7 912 345-67-89", "full_phone_number"),
    ],
)
def test_what_must_not_reach_the_customer(client, tokens, text, code):
    result = check(client, tokens, text, 58561573)
    assert result["ok"] is False
    assert code in {v["code"] for v in result["violations"]}
    assert result["message"].startswith("Сообщение нельзя отправить")
    v = result["violations"][0]
    assert text[v["start"] : v["end"]] == v["fragment"]


def test_linked_accounts_of_the_coupon_ban_are_another_customers_data(client, tokens):
    result = check(client, tokens, "Проверьте аккаунт 61000004, пожалуйста", 61000001)
    assert [v["code"] for v in result["violations"]] == ["other_customer_data"]
    assert result["violations"][0]["fragment"] == "61000004"


def test_an_existing_customers_id_is_another_customers_data(client, tokens):
    result = check(client, tokens, "Заказ покупателя 61000002 отменён", 58561573)
    assert [v["code"] for v in result["violations"]] == ["other_customer_data"]
    # the addressee's own ID and order numbers are fine
    assert check(client, tokens, "Ваш ID 58561573, заказ 58561573-0011", 58561573)["ok"]
    # a product code is not a customer
    assert check(client, tokens, "Товар 235260644 есть в наличии", 58561573)["ok"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"text": 5}, 422),
        ({"text": "x" * 20_001}, 422),
        ({"text": "ok", "customer_id": 0}, 422),
        ({"text": "ok", "customer_id": "abc"}, 422),
        ({"text": "ok", "extra": 1}, 422),
        ({"text": "ok", "customer_id": 99999999}, 404),
    ],
)
def test_bad_input(client, tokens, body, status):
    response = client.post("/api/v1/guard/check", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_not_json(client, tokens):
    response = client.post(
        "/api/v1/guard/check",
        content=b"{",
        headers=auth(tokens["operator"]) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("who", [*STAFF, "customer", "visitor", None, "bad"])
def test_who_may_check(client, tokens, who):
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    response = client.post("/api/v1/guard/check", json={"text": "Здравствуйте"}, headers=headers)
    if who in STAFF:
        assert response.status_code == 200
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert response.status_code == 403


# ---------------------------------------------------------------- sending through the guard


def send(client, tokens, cid, text, who="operator", private=False, client_msg_id=None):
    return client.post(
        f"/api/v1/console/conversations/{cid}/messages",
        json={"client_msg_id": client_msg_id or uuid.uuid4().hex, "text": text, "private": private},
        headers=auth(tokens[who]),
    )


def messages(client, tokens, cid):
    response = client.get(f"/api/v1/conversations/{cid}/messages", headers=auth(tokens["operator"]))
    return response.json()["messages"]


def test_a_reply_is_sent_and_the_customer_sees_it(client, tokens, taken_conversation):
    cid = taken_conversation()
    response = send(client, tokens, cid, "Здравствуйте! Сейчас проверю.")
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["sender_kind"] == "operator" and sent["private"] is False
    assert sent["conversation"]["id"] == cid
    seen = client.get(
        f"/api/v1/conversations/{cid}/messages", headers=auth(tokens["customer"])
    ).json()["messages"]
    assert "Здравствуйте! Сейчас проверю." in [m["text"] for m in seen]


def test_the_same_client_msg_id_returns_the_same_message(client, tokens, taken_conversation):
    cid = taken_conversation()
    first = send(client, tokens, cid, "Один раз", client_msg_id="console-1")
    again = send(client, tokens, cid, "Один раз", client_msg_id="console-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True


def test_a_coupon_ban_count_is_refused_on_the_server(client, tokens, taken_conversation, demo_db):
    cid = taken_conversation()
    before = len(messages(client, tokens, cid))
    response = send(client, tokens, cid, "У вас 3 пересечения с другими аккаунтами")
    error = assert_error(response, 422, "privacy_violation")
    assert "пересечений" in error["message"]
    assert {v["code"] for v in error["violations"]} == {"coupon_ban_details"}
    assert len(messages(client, tokens, cid)) == before  # nothing stored

    async def audited(session):
        from sqlalchemy import select

        from marketdesk.store.models import AuditEntry

        rows = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "conversation.message_blocked",
                AuditEntry.entity_id == str(cid),
            )
        )
        return [r.details for r in rows]

    details = run_db(demo_db, audited)
    assert details and details[0]["codes"] == ["coupon_ban_details"]
    assert "пересечения" not in str(details)  # the text itself is not kept


@pytest.mark.parametrize(
    "text", ["Карта 4111 1111 1111 1111", "Мой номер 8 (912) 345-67-89", "Заказ клиента 61000001"]
)
def test_card_phone_and_other_customers_are_refused(client, tokens, taken_conversation, text):
    cid = taken_conversation()
    response = send(client, tokens, cid, text)
    assert_error(response, 422, "privacy_violation")


def test_a_private_note_is_not_checked_and_the_customer_never_sees_it(
    client, tokens, taken_conversation
):
    cid = taken_conversation()
    note = "Пересечений 3, снять нельзя"
    response = send(client, tokens, cid, note, private=True)
    assert response.status_code == 201, response.text
    assert response.json()["private"] is True
    seen = client.get(
        f"/api/v1/conversations/{cid}/messages", headers=auth(tokens["customer"])
    ).json()["messages"]
    assert note not in [m["text"] for m in seen]


def test_a_note_may_be_left_on_a_queued_conversation(client, tokens, queued_conversation):
    cid = queued_conversation()
    note = send(client, tokens, cid, "Клиент ждёт ответа от склада", private=True)
    assert note.status_code == 201
    # writing to the customer needs the conversation taken first
    response = send(client, tokens, cid, "Здравствуйте")
    assert_error(response, 403, "not_assigned")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "ok"}, 422),
        ({"client_msg_id": "", "text": "ok"}, 422),
        ({"client_msg_id": "a", "text": ""}, 422),
        ({"client_msg_id": "a", "text": "x" * 4001}, 422),
        ({"client_msg_id": "a", "text": "ok", "private": "да"}, 422),
        ({"client_msg_id": "a" * 65, "text": "ok"}, 422),
    ],
)
def test_bad_replies(client, tokens, taken_conversation, body, status):
    cid = taken_conversation()
    response = client.post(
        f"/api/v1/console/conversations/{cid}/messages",
        json=body,
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]


def test_a_missing_conversation(client, tokens):
    response = send(client, tokens, 2**62, "Здравствуйте")
    assert response.status_code == 404
    response = send(client, tokens, 0, "Здравствуйте")
    assert response.status_code == 422


@pytest.mark.parametrize("who", [*STAFF, "customer", "visitor", None, "bad"])
def test_who_may_send_through_the_console(client, tokens, queued_conversation, who):
    cid = queued_conversation()
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    response = client.post(
        f"/api/v1/console/conversations/{cid}/messages",
        json={"client_msg_id": uuid.uuid4().hex, "text": "Заметка", "private": True},
        headers=headers,
    )
    if who in ("operator", "supervisor", "admin"):
        assert response.status_code == 201, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:  # a back-office agent does not chat; customers use the chat's own endpoint
        assert response.status_code == 403, response.text


def test_a_product_code_that_is_also_a_customer_id_is_not_blocked(client, tokens, demo_db):
    """At marketplace scale customer IDs and product codes share a range of numbers."""
    from datetime import date

    from marketdesk.store.models import Customer

    async def work(session):
        if await session.get(Customer, 483491476) is None:
            session.add(
                Customer(id=483491476, full_name="Тёзка товара", registered_on=date(2024, 1, 1))
            )
            await session.commit()

    run_db(demo_db, work)
    assert check(client, tokens, "Товар 483491476 уценён", 58561573)["ok"]


def test_the_audit_viewer_says_why_a_reply_was_refused(client, tokens, taken_conversation):
    cid = taken_conversation()
    refused = send(client, tokens, cid, "Карта 4111 1111 1111 1111")
    assert refused.status_code == 422
    page = client.get(
        "/api/v1/audit",
        params={"action": "conversation.message_blocked", "entity": f"conversation:{cid}"},
        headers=auth(tokens["supervisor"]),
    ).json()
    [entry] = page["entries"]
    assert entry["action_title"] == "Ответ остановлен проверкой конфиденциальности"
    assert entry["summary"] == "Причины: полный номер карты"
    assert entry["actor"] == "Иванова Мария (operator)"
