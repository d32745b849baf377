"""Outcomes that act (issue 11, item 3): a finished task records a typed outcome, the outcome
changes the data, and the customer hears the result in Russian."""

from __future__ import annotations

from typing import Any

import pytest

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.services import task_outcomes
from marketdesk.store.models import CouponBan, Product
from tests.conftest import auth, run_db
from tests.errors import assert_error

PRODUCT = 235260644


@pytest.fixture
def banned(new_customer, demo_db) -> Any:
    """A customer of their own with a coupon ban the rule lets be lifted (1 intersection),
    and a conversation of theirs → (customer id, customer token, conversation id)."""

    def make(*, conversation: bool = True) -> tuple[int, str, int | None]:
        customer_id, token = new_customer()

        async def work(session):
            session.add(CouponBan(customer_id=customer_id, intersections=1, linked_customer_ids=[]))
            await session.commit()

        run_db(demo_db, work)
        return customer_id, token, _conversation(token) if conversation else None

    return make


_client: Any = None


def _conversation(token: str) -> int:
    response = _client.post("/api/v1/conversations", json={}, headers=auth(token))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture(autouse=True)
def _share_client(client):
    global _client
    _client = client


def _review(client, tokens, customer_id: int, conversation_id: int | None) -> str:
    body = {"conversation_id": conversation_id} if conversation_id else {}
    response = client.post(
        f"/api/v1/customers/{customer_id}/coupon-ban/review",
        json=body,
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["task_number"])


def _status(client, tokens, number: str, status: str, **fields: Any):
    return client.post(
        f"/api/v1/tasks/{number}/status",
        json={"status": status, **fields},
        headers=auth(tokens["backoffice"]),
    )


def _texts(client, token: str, conversation_id: int) -> list[str]:
    response = client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=auth(token))
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def test_lifted_lifts_the_ban_and_the_customer_hears_it_in_their_conversation(
    client, tokens, banned
):
    customer_id, token, cid = banned()
    number = _review(client, tokens, customer_id, cid)
    assert _status(client, tokens, number, "in_progress").status_code == 200
    done = _status(client, tokens, number, "done", outcome="lifted")
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "lifted"
    assert done.json()["outcome_title"] == "Ограничение снято"

    card = client.get(f"/api/v1/customers/{customer_id}", headers=auth(tokens["operator"]))
    ban = card.json()["coupon_ban"]
    assert ban["lifted_at"] is not None and ban["decision"] == "lifted"
    assert ban["can_create_task"] is False
    again = client.post(
        f"/api/v1/customers/{customer_id}/coupon-ban/review", headers=auth(tokens["operator"])
    )
    assert_error(again, 409, "no_coupon_ban")

    result = [t for t in _texts(client, token, cid) if number in t and "Ответ" in t]
    assert len(result) == 1
    assert "ограничение на использование купонов снято" in result[0]
    assert "пересеч" not in result[0].lower()


def test_kept_leaves_the_ban_and_says_so(client, tokens, banned, demo_db):
    customer_id, token, cid = banned()
    number = _review(client, tokens, customer_id, cid)
    _status(client, tokens, number, "in_progress")
    assert _status(client, tokens, number, "done", outcome="kept").status_code == 200

    async def ban(session):
        return (await session.get(CouponBan, customer_id)).lifted_at

    assert run_db(demo_db, ban) is None
    card = client.get(f"/api/v1/customers/{customer_id}", headers=auth(tokens["operator"]))
    assert card.json()["coupon_ban"]["lifted_at"] is None
    assert any("сохраняется" in t for t in _texts(client, token, cid))


@pytest.mark.parametrize(
    ("status", "outcome", "code"),
    [
        ("done", None, "outcome_required"),  # the queue has typed outcomes
        ("done", "corrected", "outcome_not_allowed"),  # another queue's outcome
        ("done", "done", "outcome_not_allowed"),  # plain done is not enough here
        ("waiting", "lifted", "outcome_not_allowed"),  # not finished yet
    ],
)
def test_a_typed_queue_refuses_a_missing_or_foreign_outcome(
    client, tokens, banned, status, outcome, code
):
    customer_id, _token, cid = banned()
    number = _review(client, tokens, customer_id, cid)
    _status(client, tokens, number, "in_progress")
    fields = {"outcome": outcome} if outcome else {}
    assert_error(_status(client, tokens, number, status, **fields), 422, code)
    task = client.get(f"/api/v1/tasks/{number}", headers=auth(tokens["backoffice"])).json()
    assert task["status"] == "in_progress" and task["outcome"] is None
    assert task["outcomes"] == ["lifted", "kept"]


def test_an_unknown_outcome_is_a_validation_error(client, tokens, banned):
    customer_id, _token, cid = banned()
    number = _review(client, tokens, customer_id, cid)
    _status(client, tokens, number, "in_progress")
    response = _status(client, tokens, number, "done", outcome="forgiven")
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_without_a_conversation_the_result_is_a_notification(client, tokens, banned):
    """No conversation is opened for it: the result goes through the notification outbox
    (the account's channels, the notification centre among them)."""
    customer_id, token, _ = banned(conversation=False)
    number = _review(client, tokens, customer_id, None)
    _status(client, tokens, number, "in_progress")
    assert _status(client, tokens, number, "done", outcome="lifted").status_code == 200
    mine = client.get("/api/v1/conversations", headers=auth(token)).json()["conversations"]
    assert mine == []
    log = client.get(
        f"/api/v1/customers/{customer_id}/notifications", headers=auth(tokens["supervisor"])
    )
    assert log.status_code == 200, log.text
    rows = [n for n in log.json()["notifications"] if n["event"] == "task_result"]
    assert [(n["type"], n["channel"]) for n in rows] == [("account", "center")]
    assert rows[0]["template"] == "account/task_result.center"


def test_a_result_the_guard_refuses_changes_nothing(client, tokens, banned, monkeypatch):
    """A template that named the intersections would be refused, and the task, the ban and
    the conversation stay as they were."""
    customer_id, token, cid = banned()
    number = _review(client, tokens, customer_id, cid)
    _status(client, tokens, number, "in_progress")
    before = _texts(client, token, cid)
    monkeypatch.setattr(
        task_outcomes,
        "customer_result",
        lambda *_args: "Пересечения этого аккаунта с другими: 2, ограничение снято.",
    )
    refused = _status(client, tokens, number, "done", outcome="lifted")
    assert_error(refused, 409, "result_refused_by_guard")
    task = client.get(f"/api/v1/tasks/{number}", headers=auth(tokens["backoffice"])).json()
    assert task["status"] == "in_progress" and task["outcome"] is None
    card = client.get(f"/api/v1/customers/{customer_id}", headers=auth(tokens["operator"]))
    assert card.json()["coupon_ban"]["lifted_at"] is None
    assert _texts(client, token, cid) == before


def test_corrected_marks_the_products_description_fixed(client, tokens, demo_db):
    created = client.post(
        "/api/v1/tasks",
        json={"queue": "Ошибка описания", "title": "Неверный вес", "product_id": PRODUCT},
        headers=auth(tokens["operator"]),
    )
    number = created.json()["number"]
    _status(client, tokens, number, "in_progress")
    done = _status(client, tokens, number, "done", outcome="corrected")
    assert done.status_code == 200, done.text

    async def fixed(session):
        product = await session.get(Product, PRODUCT)
        return product.description_corrected_at, product.description_corrected_by_id

    at, by = run_db(demo_db, fixed)
    assert at is not None and by is not None


def test_corrected_needs_a_product(client, tokens):
    created = client.post(
        "/api/v1/tasks",
        json={"queue": "Ошибка описания", "title": "Без товара"},
        headers=auth(tokens["operator"]),
    )
    number = created.json()["number"]
    _status(client, tokens, number, "in_progress")
    assert_error(
        _status(client, tokens, number, "done", outcome="corrected"), 409, "outcome_target_missing"
    )


def test_other_queues_end_done_or_rejected(client, tokens):
    created = client.post(
        "/api/v1/tasks",
        json={"queue": "Жалобы", "title": "Жалоба на курьера"},
        headers=auth(tokens["operator"]),
    )
    number = created.json()["number"]
    _status(client, tokens, number, "in_progress")
    done = _status(client, tokens, number, "done")
    assert done.status_code == 200 and done.json()["outcome"] == "done"
    assert done.json()["outcomes"] == ["done"]
    other = client.post(
        "/api/v1/tasks",
        json={"queue": "Жалобы", "title": "Повторная жалоба"},
        headers=auth(tokens["operator"]),
    ).json()["number"]
    _status(client, tokens, other, "in_progress")
    rejected = _status(client, tokens, other, "rejected", comment="Дубль жалобы")
    assert rejected.status_code == 200 and rejected.json()["outcome"] == "rejected"
    assert rejected.json()["queue"] != FRAUD_QUEUE
