"""Each event type reaches the receiver with what it tells: a conversation resolved and
rated, a return (with the task it opens), a withdrawal, a certificate activated."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from marketdesk.services.certificates import issue_certificate
from marketdesk.store.models import BalanceEntry, Order, OrderItem, OrderStatusEvent, utcnow

from .conftest import HooksEnv, Receiver

EARPHONES = 235260644  # terms 3 / 7 days, 12 months (seed 000's card)
EVENTS = [
    "conversation.resolved",
    "rating.created",
    "task.created",
    "task.changed",
    "certificate.activated",
    "withdrawal.created",
    "return.created",
]


def _resolved_and_rated(hooks: HooksEnv) -> tuple[int, int]:
    visitor = hooks.visitor()
    operator_id, operator = hooks.operator()
    cid = int(hooks.conversation(visitor)["id"])
    for token, path in ((visitor, "handoff"), (operator, "take"), (operator, "resolve")):
        response = hooks.post(token, f"/api/v1/conversations/{cid}/{path}")
        assert response.status_code == 200, response.text
    rated = hooks.post(visitor, f"/api/v1/conversations/{cid}/rating", {"rating": 2})
    assert rated.status_code == 200, rated.text
    return cid, operator_id


def _customer_with_money_and_an_order(hooks: HooksEnv) -> tuple[int, str, str]:
    customer_id, token = hooks.customer()
    number = f"{customer_id}-0001"

    async def work(session: Any) -> None:
        now = utcnow()
        session.add(
            BalanceEntry(customer_id=customer_id, kind="rubles", amount=50000, source="refund")
        )
        order = Order(
            number=number,
            customer_id=customer_id,
            status="completed",
            delivery_type="courier",
            created_at=now - timedelta(days=5),
            total=299000,
        )
        session.add(order)
        await session.flush()
        session.add(
            OrderItem(
                order_id=order.id, product_id=EARPHONES, name="Наушники", quantity=1, price=299000
            )
        )
        session.add(
            OrderStatusEvent(order_id=order.id, status="completed", at=now - timedelta(days=2))
        )
        await session.commit()

    hooks.run(work)
    return customer_id, token, number


def test_every_kind_of_event(hooks: HooksEnv, receiver: Receiver) -> None:
    hook = hooks.subscribe(receiver.url, EVENTS)
    try:
        cid, operator_id = _resolved_and_rated(hooks)
        customer_id, token, number = _customer_with_money_and_an_order(hooks)
        secret = hooks.db.settings().hashing_secret()

        async def issue(session: Any) -> str:
            return (
                await issue_certificate(session, nominal_rub=3000, kind="electronic", secret=secret)
            ).code

        code = hooks.run(issue)
        activated = hooks.post(token, "/api/v1/me/certificates/activate", {"code": code})
        assert activated.status_code == 200, activated.text
        withdrawn = hooks.post(
            token,
            "/api/v1/me/balance/withdraw",
            # a pair that passes the control key (the Bank of Russia's own example)
            {
                "amount": "150",
                "recipient": "Иванов Иван",
                "bik": "049805746",
                "account": "40602810700000000025",
            },
        )
        assert withdrawn.status_code == 200, withdrawn.text
        returned = hooks.post(
            token,
            f"/api/v1/orders/{number}/returns",
            {"items": [{"product_id": EARPHONES, "quantity": 1}], "reason": "proper_quality"},
        )
        assert returned.status_code == 201, returned.text
        receiver.wait_for(lambda r: len(r.delivered()) == 6)
    finally:
        hooks.unsubscribe(hook["id"])

    verifier = Webhook(hook["secret"])
    events = [verifier.verify(r.body, r.headers) for r in receiver.delivered()]
    assert [e["type"] for e in events] == [
        "conversation.resolved",
        "rating.created",
        "certificate.activated",
        "withdrawal.created",
        "task.created",  # the return's task, in the return's transaction, written first
        "return.created",
    ]
    resolved, rating, certificate, withdrawal, task, ret = (e["data"] for e in events)
    assert resolved["conversation_id"] == cid and resolved["status"] == "resolved"
    assert resolved["assigned_operator_id"] == operator_id and resolved["resolved_at"]
    assert rating == {**rating, "conversation_id": cid, "rating": 2, "comment": None}
    assert certificate["customer_id"] == customer_id and certificate["nominal"] == 300000
    assert code not in json.dumps(certificate) and "code" not in certificate
    assert withdrawal["customer_id"] == customer_id and withdrawal["amount"] == 15000
    assert ret["order_number"] == number and ret["customer_id"] == customer_id
    assert ret["items"] == [{"product_id": EARPHONES, "name": "Наушники", "quantity": 1}]
    assert ret["task_number"] == task["task_number"] == returned.json()["task_number"]
    assert task["order_number"] == number and task["status"] == "new"
    for event in events:
        assert event["timestamp"].endswith("+00:00")
