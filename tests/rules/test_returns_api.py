"""Return requests by the product's terms (issue 11, item 6), through the API."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest

from marketdesk.domain.tasks import RETURNS_QUEUE
from marketdesk.store.models import Order, OrderItem, OrderStatusEvent, utcnow
from tests.conftest import auth, run_db
from tests.errors import assert_error

EARPHONES = 235260644  # terms 3 / 7 days, 12 months (seed 000's card)
CERTIFICATE = 135382627  # an electronic gift certificate
_numbers = count(1)


@pytest.fixture
def ordered(new_customer, demo_db) -> Any:
    """A customer of their own with one order of ``product``, received ``days`` ago (or
    still on its way) → (customer id, token, order number)."""

    def make(product: int = EARPHONES, days: int | None = 2, quantity: int = 1):
        customer_id, token = new_customer()
        number = f"{customer_id}-{next(_numbers):04d}"

        async def work(session):
            now = utcnow()
            created = now - timedelta(days=(days or 0) + 3)
            order = Order(
                number=number,
                customer_id=customer_id,
                status="completed" if days is not None else "in_delivery",
                delivery_type="courier",
                created_at=created,
                total=299000 * quantity,
            )
            session.add(order)
            await session.flush()
            session.add(
                OrderItem(
                    order_id=order.id,
                    product_id=product,
                    name="Товар заказа",
                    quantity=quantity,
                    price=299000,
                )
            )
            session.add(OrderStatusEvent(order_id=order.id, status="created", at=created))
            if days is not None:
                at = now - timedelta(days=days)
                session.add(OrderStatusEvent(order_id=order.id, status="completed", at=at))
            await session.commit()

        run_db(demo_db, work)
        return customer_id, token, number

    return make


def ask(client, token, number, reason, product=EARPHONES, quantity=1):
    return client.post(
        f"/api/v1/orders/{number}/returns",
        json={"items": [{"product_id": product, "quantity": quantity}], "reason": reason},
        headers=auth(token),
    )


def test_an_accepted_return_has_a_number_and_a_task(client, tokens, ordered):
    customer_id, token, number = ordered(days=2)
    response = ask(client, token, number, "proper_quality")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (
        body["number"].startswith("RET-") and body["reason_title"] == "Товар надлежащего качества"
    )
    assert body["number"] in body["message"] and body["task_number"] in body["message"]
    task = client.get(f"/api/v1/tasks/{body['task_number']}", headers=auth(tokens["backoffice"]))
    assert task.json()["queue"] == RETURNS_QUEUE
    assert task.json()["order_number"] == number and task.json()["customer_id"] == customer_id
    card = client.get(f"/api/v1/customers/{customer_id}", headers=auth(tokens["operator"])).json()
    assert [r["number"] for r in card["returns"]] == [body["number"]]
    assert card["returns"][0]["reason"]["title"] == "Товар надлежащего качества"


def test_a_refusal_gives_the_day_the_term_ended(client, ordered):
    _, token, number = ordered(days=8)  # proper quality: 7 days
    response = ask(client, token, number, "proper_quality")
    assert_error(response, 409, "return_refused")
    error = response.json()["error"]
    assert error["refusal"] == "term_ended"
    assert error["last_day"] and error["last_day"][8:10] in error["message"]
    assert "закончился" in error["message"]
    # the same order under warranty is still accepted
    assert ask(client, token, number, "warranty").status_code == 201


def test_not_received_and_excluded_goods(client, ordered):
    _, token, on_its_way = ordered(days=None)
    refused = ask(client, token, on_its_way, "defect")
    assert_error(refused, 409, "return_refused")
    assert refused.json()["error"]["refusal"] == "not_received"
    _, token, certificate = ordered(product=CERTIFICATE, days=1)
    refused = ask(client, token, certificate, "defect", product=CERTIFICATE)
    assert refused.json()["error"]["refusal"] == "certificate"


def test_items_must_be_in_the_order(client, ordered):
    _, token, number = ordered(days=1, quantity=1)
    assert_error(
        ask(client, token, number, "defect", product=CERTIFICATE), 422, "return_item_not_in_order"
    )
    assert_error(ask(client, token, number, "defect", quantity=2), 422, "return_quantity_too_large")
    empty = client.post(
        f"/api/v1/orders/{number}/returns",
        json={"items": [], "reason": "defect"},
        headers=auth(token),
    )
    assert empty.status_code == 422
    unknown = ask(client, token, number, "changed_my_mind")
    assert unknown.status_code == 422


def test_who_may_ask(client, tokens, ordered):
    customer_id, _token, number = ordered(days=1)
    _other_id, other, _ = ordered(days=1)
    assert_error(ask(client, other, number, "defect"), 404, "order_not_found")
    assert_error(ask(client, tokens["visitor"], number, "defect"), 404, "order_not_found")
    by_operator = ask(client, tokens["operator"], number, "defect")
    assert by_operator.status_code == 201, by_operator.text
    task = by_operator.json()["task_number"]
    card = client.get(f"/api/v1/tasks/{task}", headers=auth(tokens["backoffice"])).json()
    assert card["customer_id"] == customer_id
