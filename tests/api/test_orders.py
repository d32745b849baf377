"""One order from the card (issue 11, item 5): items, delivery, payment, the status history
with times, and the tasks and conversations about it."""

from __future__ import annotations

from marketdesk.store.models import Order, OrderItem, utcnow
from tests.conftest import DEMO_PASSWORD, ROLES, auth, run_db
from tests.errors import assert_error


def order(client, token, number):
    return client.get(f"/api/v1/orders/{number}", headers=auth(token))


def test_an_order_with_its_items_payment_and_history(client, tokens):
    response = order(client, tokens["operator"], "61000001-0001")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == 61000001
    assert body["status"] == {"code": "completed", "title": "Выполнен"}
    assert body["delivery_type"]["code"] == "postamat"
    assert body["address_kind"] == {"code": "pickup_point", "title": "Пункт выдачи"}
    assert body["payment"] == {"amount": "2990.00", "method": "Банковская карта"}
    assert body["items"] == [
        {
            "product_id": 235260644,
            "name": "Беспроводные наушники Xiaomi Airdots 2",
            "quantity": 1,
            "price": "2990.00",
            "sum": "2990.00",
            "special_category": None,  # headphones are no «особый» product
            "special_category_title": None,
        }
    ]
    steps = [s["status"]["code"] for s in body["history"]]
    assert steps == ["created", "processing", "in_delivery", "ready_for_pickup", "completed"]
    times = [s["at"] for s in body["history"]]
    assert times == sorted(times) and times[0] == body["created_at"]


def test_a_cancelled_orders_history(client, tokens):
    body = order(client, tokens["backoffice"], "61000002-0001").json()
    assert [s["status"]["code"] for s in body["history"]] == ["created", "cancelled"]
    assert body["items"] == [] and body["payment"]["method"] is None


def test_tasks_and_conversations_about_the_order(client, tokens, new_customer, demo_db):
    # a customer of the test's own: the seed's card of 58561573 has no active task
    customer_id, token = new_customer()
    number = f"{customer_id}-0001"

    async def add_order(session):
        session.add(
            Order(
                number=number,
                customer_id=customer_id,
                status="completed",
                delivery_type="courier",
                created_at=utcnow(),
                total=100,
            )
        )
        await session.commit()

    run_db(demo_db, add_order)
    cid = client.post("/api/v1/conversations", json={}, headers=auth(token)).json()["id"]
    created = client.post(
        "/api/v1/tasks",
        json={
            "queue": "Жалобы",
            "title": "Курьер опоздал",
            "customer_id": customer_id,
            "order_number": number,
            "conversation_id": cid,
        },
        headers=auth(tokens["supervisor"]),
    )
    assert created.status_code == 201, created.text
    body = order(client, tokens["operator"], number).json()
    linked = [t for t in body["tasks"] if t["number"] == created.json()["number"]]
    assert linked and linked[0]["status"]["title"] == "Новая"
    assert cid in body["conversation_ids"]


def test_an_items_special_category_is_named(client, tokens, new_customer, demo_db):
    """Seed 000's «особые» goods: an order of the certificate (digital goods) names the
    category on its line, for every kind of staff and for the customer alike (a visitor and
    an anonymous caller read no order: test_a_customer_reads_only_their_own_order)."""
    customer_id, token = new_customer()
    number = f"{customer_id}-0002"

    async def add_order(session):
        placed = Order(
            number=number,
            customer_id=customer_id,
            status="completed",
            delivery_type="digital",
            created_at=utcnow(),
            total=300000,
        )
        session.add(placed)
        await session.flush()
        session.add(
            OrderItem(
                order_id=placed.id,
                product_id=135382627,
                name="Электронный подарочный сертификат",
                quantity=1,
                price=300000,
            )
        )
        await session.commit()

    run_db(demo_db, add_order)
    sellers = client.post(  # the sellers' line operator
        "/api/v1/auth/login", json={"login": "sellers", "password": DEMO_PASSWORD}
    ).json()["token"]
    for reader in (*(tokens[r] for r in ROLES), sellers, token):
        line = order(client, reader, number).json()["items"][0]
        assert line["special_category"] == "digital"
        assert line["special_category_title"] == (
            "Цифровые товары (онлайн-кинотеатры, игры и софт)"
        )


def test_a_customer_reads_only_their_own_order(client, tokens):
    own = order(client, tokens["customer"], "58561573-0011")
    assert own.status_code == 200 and own.json()["tasks"] == []  # back-office work is internal
    assert_error(order(client, tokens["customer"], "61000001-0001"), 404, "order_not_found")
    assert_error(order(client, tokens["visitor"], "58561573-0011"), 404, "order_not_found")
    assert client.get("/api/v1/orders/58561573-0011").status_code == 401
    for role in ROLES:
        assert order(client, tokens[role], "58561573-0011").status_code == 200, role


def test_unknown_and_malformed_numbers(client, tokens):
    assert_error(order(client, tokens["operator"], "99999999-0001"), 404, "order_not_found")
    assert order(client, tokens["operator"], "не-номер").status_code == 422
