"""marketdesk's events that raise notifications through the one service function: an
order's status from the order feed, the «Оценка сервиса» survey after a resolved
conversation; each in the event's own transaction, once."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketdesk.services import ratings
from marketdesk.store.models import (
    Conversation,
    Notification,
    Order,
    OrderStatusEvent,
    utcnow,
)
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

_orders = itertools.count(1)


def _order(env: ChatEnv, customer_id: int) -> str:
    number = f"{customer_id}-{next(_orders):04d}"

    async def work(session: Any) -> None:
        session.add(
            Order(
                number=number,
                customer_id=customer_id,
                status="processing",
                delivery_type="pickup_point",
                created_at=utcnow(),
                total=164_900,
            )
        )
        await session.commit()

    env.run(work)
    return number


def _notifications(env: ChatEnv, customer_id: int, event: str) -> list[Notification]:
    async def work(session: Any) -> list[Notification]:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.customer_id == customer_id, Notification.event == event)
            .order_by(Notification.id)
        )
        return list(rows)

    return env.run(work)  # type: ignore[no-any-return]


def test_an_order_status_from_the_feed_notifies_the_customer_once(env: ChatEnv) -> None:
    customer_id, _ = env.customer()
    number = _order(env, customer_id)
    _, admin = env.operator(roles=("admin",))
    path = f"/api/v1/orders/{number}/status"

    changed = env.post(admin, path, {"status": "in_delivery"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["changed"] is True and body["status_title"] == "Передан в доставку"
    assert body["notified"] == ["center"]  # no phone, e-mail or browser: the centre
    [row] = _notifications(env, customer_id, "order_status_changed")
    assert (row.type, row.channel, row.template) == (
        "orders",
        "center",
        "orders/order_status_changed.center",
    )
    assert row.subject == f"Заказ {number}" and "«Передан в доставку»" in (row.body or "")

    again = env.post(admin, path, {"status": "in_delivery"})
    assert again.json()["changed"] is False and again.json()["notified"] == []
    assert len(_notifications(env, customer_id, "order_status_changed")) == 1

    async def history(session: Any) -> list[str]:
        order = await session.scalar(select(Order).where(Order.number == number))
        rows = await session.scalars(
            select(OrderStatusEvent.status).where(OrderStatusEvent.order_id == order.id)
        )
        return list(rows)

    assert env.run(history) == ["in_delivery"]
    seen = env.client.get(f"/api/v1/orders/{number}", headers=auth(admin)).json()
    assert seen["status"]["code"] == "in_delivery"


def test_only_the_order_system_changes_a_status(env: ChatEnv) -> None:
    customer_id, customer = env.customer()
    number = _order(env, customer_id)
    _, operator = env.operator()
    _, admin = env.operator(roles=("admin",))
    path = f"/api/v1/orders/{number}/status"
    assert env.post(operator, path, {"status": "completed"}).status_code == 403
    assert env.post(customer, path, {"status": "completed"}).status_code == 403
    refused = env.post(admin, path, {"status": "lost"})
    assert_error(refused, 422, "unknown_order_status")
    assert "ready_for_pickup" in refused.json()["error"]["message"]
    missing = env.post(admin, "/api/v1/orders/1000-0001/status", {"status": "completed"})
    assert_error(missing, 404, "order_not_found")
    assert _notifications(env, customer_id, "order_status_changed") == []


def test_the_service_rating_survey_follows_a_resolved_conversation(env: ChatEnv) -> None:
    customer_id, customer = env.customer()
    _, operator = env.operator()
    cid = int(env.conversation(customer)["id"])
    for token, step in ((customer, "handoff"), (operator, "take"), (operator, "resolve")):
        response = env.post(token, f"/api/v1/conversations/{cid}/{step}")
        assert response.status_code == 200, response.text
    delay = timedelta(hours=24)

    async def remind(session: Any) -> list[int]:
        resolved_at = await session.scalar(
            select(Conversation.resolved_at).where(Conversation.id == cid)
        )
        return await ratings.send_reminders(
            session, delay=delay, now=resolved_at + timedelta(hours=25)
        )

    assert cid in env.run(remind)
    [row] = _notifications(env, customer_id, "service_rating_survey")
    assert (row.type, row.channel) == ("service_rating", "center")
    assert row.subject == "Оцените работу поддержки"
    assert cid not in env.run(remind)  # once
    assert len(_notifications(env, customer_id, "service_rating_survey")) == 1
