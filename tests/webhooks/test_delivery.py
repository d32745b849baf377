"""Events reach a real HTTP receiver on 127.0.0.1: signed (checked with the
``standardwebhooks`` package, another implementation of the spec), retried after 500s, in
the order they happened, dead after the last try and sent again by hand."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from marketdesk.domain.webhooks import encode_secret
from tests.errors import assert_error

from .conftest import HooksEnv, Receiver


def eventually(done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until ``done()`` (the app's worker runs in its own thread); a bound on a hang."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there"
        time.sleep(0.02)


def settled(hooks: HooksEnv, webhook_id: int) -> bool:
    log = hooks.deliveries(webhook_id)
    return bool(log) and all(d["status"] != "pending" for d in log)


def test_signed_retried_after_500s_and_in_order(hooks: HooksEnv, receiver: Receiver) -> None:
    receiver.plan = [500, 500]  # the first try and the first retry fail
    hook = hooks.subscribe(
        receiver.url, ["conversation.created", "message.created", "conversation.resolved"]
    )
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    try:
        visitor = hooks.visitor()
        cid = hooks.conversation(visitor)["id"]
        for text in ("Здравствуйте!", "Где мой заказ?", "Спасибо"):
            assert hooks.send(visitor, cid, text).status_code in (200, 201)
        eventually(lambda: settled(hooks, hook["id"]))
    finally:
        hooks.unsubscribe(hook["id"])

    requests = list(receiver.requests)
    # every request, the failed tries too, is signed by the spec
    verifier = Webhook(secret)
    for request in requests:
        payload = verifier.verify(request.body, request.headers)
        assert payload["type"] in ("conversation.created", "message.created")
        assert request.headers["content-type"] == "application/json"
    # the first event was tried three times (500, 500, 200) before any later one was sent
    first_id = requests[0].headers["webhook-id"]
    assert [r.headers["webhook-id"] for r in requests[:3]] == [first_id] * 3
    assert [r.answered for r in requests[:3]] == [500, 500, 200]
    assert all(r.headers["webhook-id"] != first_id for r in requests[3:])
    # and a retry is signed anew (its own timestamp) over the same body
    assert requests[0].body == requests[2].body
    # the events, as delivered, are the conversation's in its order
    delivered = [json.loads(r.body) for r in receiver.delivered()]
    assert delivered[0]["type"] == "conversation.created"
    assert delivered[0]["data"]["conversation_id"] == cid
    messages = [e["data"] for e in delivered if e["type"] == "message.created"]
    assert [m["seq"] for m in messages] == sorted(m["seq"] for m in messages)
    assert len({m["seq"] for m in messages}) == len(messages)
    customer_texts = [m["text"] for m in messages if m["sender_kind"] == "visitor"]
    assert customer_texts == ["Здравствуйте!", "Где мой заказ?", "Спасибо"]
    assert all(m["conversation_id"] == cid for m in messages)


def test_a_wrong_secret_fails_the_check(hooks: HooksEnv, receiver: Receiver) -> None:
    hook = hooks.subscribe(receiver.url, ["conversation.created"])
    try:
        hooks.conversation(hooks.visitor())
        receiver.wait_for(lambda r: len(r.delivered()) == 1)
    finally:
        hooks.unsubscribe(hook["id"])
    request = receiver.requests[0]
    other = encode_secret(b"\x01" * 32)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.body, request.headers)
    tampered = request.body.replace(b"conversation.created", b"conversation.resolved")
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(tampered, request.headers)
    assert Webhook(hook["secret"]).verify(request.body, request.headers)["type"] == (
        "conversation.created"
    )


def _task(hooks: HooksEnv, title: str) -> dict[str, Any]:
    response = hooks.client.post(
        "/api/v1/tasks",
        json={"queue": "Ошибка описания", "title": title},
        headers=hooks.as_("operator"),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_dead_after_the_last_try_then_retried_by_hand(hooks: HooksEnv, receiver: Receiver) -> None:
    receiver.default = 500
    hook = hooks.subscribe(receiver.url, ["task.created"])
    try:
        first = _task(hooks, "Неверный вес")
        second = _task(hooks, "Неверный цвет")
        eventually(lambda: settled(hooks, hook["id"]))
        log = sorted(hooks.deliveries(hook["id"]), key=lambda d: d["id"])
        assert [d["status"] for d in log] == ["failed", "failed"]
        assert [d["attempts"] for d in log] == [3, 3]  # MARKETDESK_WEBHOOK_MAX_ATTEMPTS
        assert log[0]["error"] == "HTTP 500" and log[0]["response_status"] == 500
        assert log[0]["status_title"] == "не доставлено"
        # the dead first one held the second until it died: its three tries came first
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert ids == [log[0]["message_id"]] * 3 + [log[1]["message_id"]] * 3
        numbers = [json.loads(r.body)["data"]["task_number"] for r in receiver.requests]
        assert numbers[0] == first["number"] and numbers[-1] == second["number"]
        listed = hooks.client.get("/api/v1/webhooks", headers=hooks.as_("admin")).json()
        mine = next(w for w in listed["webhooks"] if w["id"] == hook["id"])
        assert (mine["failed"], mine["pending"]) == (2, 0)
        assert "secret" not in mine

        receiver.default = 200
        path = f"/api/v1/webhook-deliveries/{log[0]['id']}/retry"
        response = hooks.client.post(path, headers=hooks.as_("admin"))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "pending" and response.json()["attempts"] == 0
        eventually(lambda: settled(hooks, hook["id"]))
        again = next(d for d in hooks.deliveries(hook["id"]) if d["id"] == log[0]["id"])
        assert again["status"] == "delivered" and again["attempts"] == 1
        last = receiver.requests[-1]
        assert last.headers["webhook-id"] == log[0]["message_id"] and last.answered == 200
        Webhook(hook["secret"]).verify(last.body, last.headers)
        # only a dead letter is retried
        assert_error(
            hooks.client.post(path, headers=hooks.as_("admin")), 409, "webhook_delivery_not_failed"
        )
    finally:
        hooks.unsubscribe(hook["id"])
    missing = hooks.client.post(
        f"/api/v1/webhook-deliveries/{log[0]['id']}/retry", headers=hooks.as_("admin")
    )
    assert_error(missing, 404, "webhook_delivery_not_found")  # gone with its webhook


def test_a_paused_webhook_hears_nothing_until_resumed(hooks: HooksEnv, receiver: Receiver) -> None:
    hook = hooks.subscribe(receiver.url, ["conversation.created"])
    path = f"/api/v1/webhooks/{hook['id']}"
    try:
        paused = hooks.client.patch(path, json={"active": False}, headers=hooks.as_("admin"))
        assert paused.status_code == 200 and paused.json()["active"] is False
        hooks.conversation(hooks.visitor())
        assert hooks.deliveries(hook["id"]) == []
        resumed = hooks.client.patch(path, json={"active": True}, headers=hooks.as_("admin"))
        assert resumed.json()["active"] is True
        cid = hooks.conversation(hooks.visitor())["id"]
        receiver.wait_for(lambda r: len(r.delivered()) == 1)
        assert json.loads(receiver.requests[0].body)["data"]["conversation_id"] == cid
    finally:
        hooks.unsubscribe(hook["id"])


def test_only_the_types_subscribed_to(hooks: HooksEnv, receiver: Receiver) -> None:
    hook = hooks.subscribe(receiver.url, ["task.changed"])
    try:
        task = _task(hooks, "Неверная длина")  # task.created: not asked for
        response = hooks.client.post(
            f"/api/v1/tasks/{task['number']}/status",
            json={"status": "in_progress"},
            headers=hooks.as_("backoffice"),
        )
        assert response.status_code == 200, response.text
        receiver.wait_for(lambda r: len(r.delivered()) == 1)
        eventually(lambda: settled(hooks, hook["id"]))
    finally:
        hooks.unsubscribe(hook["id"])
    assert len(receiver.requests) == 1
    event = json.loads(receiver.requests[0].body)
    assert event["type"] == "task.changed"
    data = event["data"]
    assert data["task_number"] == task["number"] and data["status"] == "in_progress"
    assert data["change"] == "status"
    assert data["details"] == {"source": "new", "target": "in_progress"}


def test_a_conversation_is_told_of_before_its_messages(hooks: HooksEnv, receiver: Receiver) -> None:
    """A seller's conversation opens with a system note (its ticket), resolving adds one:
    the conversation's event comes first each time."""
    hook = hooks.subscribe(
        receiver.url, ["conversation.created", "message.created", "conversation.resolved"]
    )
    try:
        visitor = hooks.visitor()
        seller = {"seller_topic": "Финансы", "seller_subtopic": "Финансовые отчёты"}
        cid = int(hooks.conversation(visitor, "seller", **seller)["id"])
        _, operator = hooks.operator(lines=("seller",))
        for token, path in ((visitor, "handoff"), (operator, "take"), (operator, "resolve")):
            response = hooks.post(token, f"/api/v1/conversations/{cid}/{path}")
            assert response.status_code == 200, response.text
        eventually(lambda: settled(hooks, hook["id"]))
    finally:
        hooks.unsubscribe(hook["id"])
    events = [json.loads(r.body) for r in receiver.delivered()]
    types = [e["type"] for e in events]
    assert types[:2] == ["conversation.created", "message.created"]
    assert events[1]["data"]["sender_kind"] == "system"
    assert events[0]["data"]["ticket_number"] in events[1]["data"]["text"]
    resolved = types.index("conversation.resolved")
    assert types[resolved + 1] == "message.created"  # «вопрос решён»: after the event
    assert events[resolved]["data"]["status"] == "resolved"
    assert types.count("conversation.created") == 1 and types.count("conversation.resolved") == 1


def test_messages_of_the_group_commit(hooks: HooksEnv, receiver: Receiver) -> None:
    """Plain messages of an assigned conversation are stored by the chat writer's group
    commit (``batch._write_batch``): their events are written in the same transaction."""
    visitor = hooks.visitor()
    _, operator = hooks.operator()
    cid = int(hooks.conversation(visitor)["id"])
    for token, path in ((visitor, "handoff"), (operator, "take")):
        assert hooks.post(token, f"/api/v1/conversations/{cid}/{path}").status_code == 200
    hook = hooks.subscribe(receiver.url, ["message.created"])
    try:
        texts = [(visitor, "Заказ не пришёл"), (operator, "Сейчас проверю."), (visitor, "Жду")]
        for token, text in texts:
            response = hooks.send(token, cid, text)
            assert response.status_code == 201, response.text
        receiver.wait_for(lambda r: len(r.delivered()) == 3)
    finally:
        hooks.unsubscribe(hook["id"])
    messages = [
        Webhook(hook["secret"]).verify(r.body, r.headers)["data"] for r in receiver.delivered()
    ]
    assert [(m["sender_kind"], m["text"]) for m in messages] == [
        ("visitor", "Заказ не пришёл"),
        ("operator", "Сейчас проверю."),
        ("visitor", "Жду"),
    ]
    assert [m["seq"] for m in messages] == sorted(m["seq"] for m in messages)
    assert all(m["conversation_id"] == cid and m["private"] is False for m in messages)
