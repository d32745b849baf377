"""IDOR through a linked id (issue 18, finding 6): every id a request links (conversation,
customer, order, product) is checked against the caller's rights before it is used, and a
missing id and a forbidden one get the same answer (no existence oracle)."""

from __future__ import annotations

from typing import Any

from marketdesk.store.models import CouponBan, Customer
from tests.conftest import auth, run_db
from tests.errors import assert_error

RETAIL_PRODUCT = 483491476  # «Ошибка описания» creates a task for it (seed 000)
MISSING = 999_999_999
DESCRIPTION_QUEUE = "Ошибка описания"


def _conversation(client: Any, token: str) -> int:
    response = client.post("/api/v1/conversations", json={"line": "general"}, headers=auth(token))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _texts(client: Any, token: str, cid: int) -> list[str]:
    response = client.get(f"/api/v1/conversations/{cid}/messages", headers=auth(token))
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def _error(response: Any, linked_id: object) -> tuple[int, str, str]:
    """(status, code, message with the id written as N): what must not differ."""
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"].replace(str(linked_id), "N")


def _report(client: Any, token: str, conversation_id: int) -> Any:
    return client.post(
        f"/api/v1/products/{RETAIL_PRODUCT}/inaccuracy",
        json={"text": "На фото другой цвет", "conversation_id": conversation_id},
        headers=auth(token),
    )


def _queued_on(client: Any, tokens: dict[str, str], owner: str, line: str) -> int:
    cid = _conversation(client, owner)
    handoff = client.post(f"/api/v1/conversations/{cid}/handoff", headers=auth(owner))
    assert handoff.status_code == 200
    if line != "general":
        moved = client.post(
            f"/api/v1/conversations/{cid}/transfer",
            json={"to_line": line},
            headers=auth(tokens["supervisor"]),
        )
        assert moved.status_code == 200, moved.text
    return cid


def test_a_customer_cannot_link_someone_elses_conversation(client, tokens, new_customer):
    _, reporter = new_customer()
    _, victim = new_customer()
    theirs = _conversation(client, victim)
    before = _texts(client, victim, theirs)
    foreign = _report(client, reporter, theirs)
    missing = _report(client, reporter, MISSING)
    assert foreign.status_code == 404, foreign.text
    assert _error(foreign, theirs) == _error(missing, MISSING)
    assert foreign.json()["error"]["code"] == "link_not_found"
    # nothing was written into the other customer's chat
    assert _texts(client, victim, theirs) == before
    # a visitor's conversation is someone else's too
    visitor_cid = _conversation(client, tokens["visitor"])
    assert _error(_report(client, reporter, visitor_cid), visitor_cid) == _error(missing, MISSING)
    assert _texts(client, tokens["visitor"], visitor_cid) == []


def test_a_customer_links_their_own_conversation(client, new_customer):
    _, token = new_customer()
    mine = _conversation(client, token)
    response = _report(client, token, mine)
    assert response.status_code == 200, response.text
    number = response.json()["task_number"]
    assert any(number in text for text in _texts(client, token, mine))


def _task(client: Any, token: str, **fields: Any) -> Any:
    body = {"queue": DESCRIPTION_QUEUE, "title": "Неверный вес в карточке", **fields}
    return client.post("/api/v1/tasks", json=body, headers=auth(token))


def test_staff_link_only_conversations_they_may_read(client, tokens, new_customer):
    _, owner = new_customer()
    travel = _queued_on(client, tokens, owner, "travel_priority")
    general = _queued_on(client, tokens, owner, "general")
    before = _texts(client, owner, travel)
    # the general-line operator and back office may not read a Travel conversation
    missing = _task(client, tokens["operator"], conversation_id=MISSING)
    for who in ("operator", "backoffice"):
        refused = _task(client, tokens[who], conversation_id=travel)
        assert refused.status_code == 404, (who, refused.text)
        assert _error(refused, travel) == _error(missing, MISSING)
    assert _texts(client, owner, travel) == before
    # what they may read, they may link; supervisors link every line's
    assert _task(client, tokens["operator"], conversation_id=general).status_code == 201
    assert _task(client, tokens["supervisor"], conversation_id=travel).status_code == 201
    assert any("CTASK-" in text for text in _texts(client, owner, travel))


def test_links_of_a_task_must_agree(client, tokens, new_customer):
    other_id, other = new_customer()
    their_conversation = _conversation(client, other)
    mismatch = _task(
        client, tokens["operator"], customer_id=58561573, conversation_id=their_conversation
    )
    assert_error(mismatch, 409, "link_mismatch")
    order = _task(client, tokens["operator"], customer_id=58561573, order_number="61000001-0001")
    assert_error(order, 409, "link_mismatch")
    assert all("CTASK-" not in text for text in _texts(client, other, their_conversation))
    assert other_id != 58561573


def test_coupon_ban_review_checks_its_conversation(client, tokens, demo_db, new_customer):
    banned_id, banned = new_customer()
    other_id, other = new_customer()

    async def ban(session: Any) -> None:
        assert await session.get(Customer, banned_id) is not None
        session.add(CouponBan(customer_id=banned_id, intersections=1, linked_customer_ids=[]))
        await session.commit()

    run_db(demo_db, ban)
    travel = _queued_on(client, tokens, banned, "travel_priority")
    path = f"/api/v1/customers/{banned_id}/coupon-ban/review"
    headers = auth(tokens["operator"])
    refused = client.post(path, json={"conversation_id": travel}, headers=headers)
    missing = client.post(path, json={"conversation_id": MISSING}, headers=headers)
    assert refused.status_code == 404, refused.text
    assert _error(refused, travel) == _error(missing, MISSING)
    # another customer's conversation does not get this customer's task
    theirs = _conversation(client, other)
    wrong = client.post(path, json={"conversation_id": theirs}, headers=headers)
    assert_error(wrong, 409, "link_mismatch")
    assert _texts(client, other, theirs) == []
    # the right one is linked
    own = _queued_on(client, tokens, banned, "general")
    linked = client.post(path, json={"conversation_id": own}, headers=headers)
    assert linked.status_code == 200, linked.text
    assert any(linked.json()["task_number"] in text for text in _texts(client, banned, own))
    assert other_id != banned_id
