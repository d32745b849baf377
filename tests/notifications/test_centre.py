"""The notification centre and the push subscriptions through the HTTP API and the customer's
socket: an item arrives live as a ``notification`` frame, is listed with the unread count,
and is marked read; the browser's subscription is validated and kept per customer."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from marketdesk.services import notifications
from marketdesk.store.models import Customer, Order, PushSubscription, utcnow
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error
from tests.notifications.webpush import Browser

CENTRE = "/api/v1/me/notifications"
SUBSCRIPTIONS = "/api/v1/me/push-subscriptions"


def _raise_order_status(env: ChatEnv, customer_id: int) -> str:
    """An order of the customer's goes «in delivery» through the order feed (a request of
    the app: its commit wakes the app's worker)."""
    number = f"{customer_id}-0001"

    async def work(session: Any) -> None:
        session.add(
            Order(
                number=number,
                customer_id=customer_id,
                status="processing",
                delivery_type="pickup_point",
                created_at=utcnow(),
                total=199_000,
            )
        )
        await session.commit()

    env.run(work)
    _, admin = env.operator(roles=("admin",))
    changed = env.post(admin, f"/api/v1/orders/{number}/status", {"status": "in_delivery"})
    assert changed.status_code == 200 and changed.json()["notified"] == ["center"], changed.text
    return number


def _wait_for_item(env: ChatEnv, token: str) -> dict[str, Any]:
    """The newest item once the server's worker delivered it (it is woken by the commit)."""
    for _ in range(200):
        listed = env.client.get(CENTRE, headers=auth(token))
        assert listed.status_code == 200, listed.text
        if listed.json()["items"]:
            return dict(listed.json()["items"][0])
        time.sleep(0.05)
    raise AssertionError("the centre item was not delivered")


def _receive_until(ws: Any, kind: str) -> dict[str, Any]:
    for _ in range(50):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def test_a_centre_item_arrives_live_and_is_marked_read(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    started = env.post(token, "/api/v1/conversations", {"line": "general"})
    assert started.status_code == 201, started.text
    conversation_id = started.json()["id"]
    with env.client.websocket_connect(f"/ws/conversations/{conversation_id}") as ws:
        ws.send_json({"type": "auth", "token": token})
        _receive_until(ws, "ready")
        number = _raise_order_status(env, customer_id)
        frame = _receive_until(ws, "notification")
    item = frame["notification"]
    assert item["title"] == f"Заказ {number}"
    assert item["type"] == "orders" and item["type_title"] == "Уведомления по заказам"
    assert "«Передан в доставку»" in item["text"] and item["read"] is False

    # the frame goes out just before the outcome is recorded: the list has it once recorded
    _wait_for_item(env, token)
    body = env.client.get(CENTRE, headers=auth(token)).json()
    assert body["unread"] == 1
    assert [i["id"] for i in body["items"]] == [item["id"]]

    read = env.post(token, CENTRE + "/read", {"ids": [item["id"]]})
    assert read.status_code == 200, read.text
    assert read.json()["unread"] == 0 and read.json()["items"][0]["read"] is True


def test_the_centre_is_the_customers_own(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    other_id, other = env.customer()
    _raise_order_status(env, customer_id)

    item_id = _wait_for_item(env, token)["id"]
    assert env.client.get(CENTRE, headers=auth(other)).json() == {"items": [], "unread": 0}
    assert_error(
        env.post(other, CENTRE + "/read", {"ids": [item_id]}), 404, "notification_not_found"
    )
    assert env.post(token, CENTRE + "/read", {}).json()["unread"] == 0  # all of them
    visitor = env.visitor()
    assert_error(env.client.get(CENTRE, headers=auth(visitor)), 403, "customer_only")
    assert other_id != customer_id


def test_push_subscriptions_are_validated_and_kept(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    key = env.client.get("/api/v1/notifications/push-key")
    assert key.status_code == 200
    assert key.json()["public_key"] == notifications.vapid_keys(env.db.settings()).public_key

    browser = Browser()
    sub = browser.subscription("https://push.example.net/wpush/v2/abc")
    assert env.post(token, SUBSCRIPTIONS, sub).status_code == 204
    assert env.post(token, SUBSCRIPTIONS, sub).status_code == 204  # the same browser again

    async def endpoints(session: Any) -> list[str]:
        rows = await session.scalars(
            select(PushSubscription.endpoint).where(PushSubscription.customer_id == customer_id)
        )
        return list(rows)

    assert env.run(endpoints) == [sub["endpoint"]]
    bad_key = {**sub, "keys": {"p256dh": "AAAA", "auth": sub["keys"]["auth"]}}
    assert_error(env.post(token, SUBSCRIPTIONS, bad_key), 422, "invalid_push_subscription")
    plain_http = browser.subscription("http://push.example.net/x")
    assert_error(env.post(token, SUBSCRIPTIONS, plain_http), 422, "invalid_push_subscription")
    assert_error(env.post(env.visitor(), SUBSCRIPTIONS, sub), 403, "customer_only")

    gone = env.client.delete(
        SUBSCRIPTIONS, params={"endpoint": sub["endpoint"]}, headers=auth(token)
    )
    assert gone.status_code == 204
    assert env.run(endpoints) == []

    async def customer(session: Any) -> Customer:
        return await session.get(Customer, customer_id)  # type: ignore[no-any-return]

    assert env.run(customer) is not None
