"""Coupon-ban review, description errors, marking down, the phishing check."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.store.models import AuditEntry
from tests.conftest import ROLES, auth, run_db
from tests.errors import assert_error

# --- coupon ban -------------------------------------------------------------------------


@pytest.mark.parametrize("customer_id", [61000001, 61000003])  # 1 and 12 intersections
def test_review_task_where_the_rule_allows(client, tokens, customer_id):
    headers = auth(tokens["operator"])
    first = client.post(f"/api/v1/customers/{customer_id}/coupon-ban/review", headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["task_number"].startswith("CTASK-")
    assert not any(ch.isdigit() for ch in body["customer_message"])  # never the count
    again = client.post(f"/api/v1/customers/{customer_id}/coupon-ban/review", headers=headers)
    assert again.json()["task_number"] == body["task_number"]
    assert again.json()["created"] is False
    task = client.get(f"/api/v1/tasks/{body['task_number']}", headers=headers).json()
    assert task["queue"] == FRAUD_QUEUE
    assert task["customer_id"] == customer_id


def test_no_task_when_the_ban_cannot_be_lifted(client, tokens):
    response = client.post(
        "/api/v1/customers/61000002/coupon-ban/review", headers=auth(tokens["operator"])
    )
    assert_error(response, 409, "coupon_ban_not_liftable")


def test_no_task_without_a_ban(client, tokens):
    response = client.post(
        "/api/v1/customers/58561573/coupon-ban/review", headers=auth(tokens["operator"])
    )
    assert_error(response, 409, "no_coupon_ban")


@pytest.mark.parametrize(("who", "status"), [("customer", 403), ("visitor", 403), (None, 401)])
def test_review_is_for_staff(client, tokens, who, status):
    headers = auth(tokens[who]) if who else {}
    assert (
        client.post("/api/v1/customers/61000001/coupon-ban/review", headers=headers).status_code
        == status
    )


# --- description errors -----------------------------------------------------------------


def test_retail_inaccuracy_creates_a_description_error_task(client, tokens, new_customer):
    customer_id, token = new_customer()
    response = client.post(
        "/api/v1/products/483491476/inaccuracy",
        json={"text": "На фото другой цвет"},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["creates_task"] is True
    assert body["task_number"] in body["message"]
    task = client.get(
        f"/api/v1/tasks/{body['task_number']}", headers=auth(tokens["backoffice"])
    ).json()
    assert task["queue"] == "Ошибка описания"
    assert task["product_id"] == 483491476 and task["customer_id"] == customer_id


def test_fbo_inaccuracy_sends_the_customer_to_the_seller(client, tokens):
    response = client.post(
        "/api/v1/products/235260644/inaccuracy",
        json={"text": "Неверный вес"},
        headers=auth(tokens["customer"]),
    )
    body = response.json()
    assert body["creates_task"] is False and body["task_number"] is None
    assert "продав" in body["message"].lower()


def test_every_inaccuracy_report_is_in_the_audit_log(client, tokens, new_customer, demo_db):
    """Each report's routing is audited, with or without a task (an operator's report for
    an FBO product writes the entry alone; a retail one with its task); a product that does
    not exist is a 404 and writes nothing."""

    async def routed(session):
        return [
            (entry.actor_kind, entry.entity_id, entry.details)
            for entry in await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "description_error.routed")
                .order_by(AuditEntry.id)
            )
        ]

    before = run_db(demo_db, routed)
    fbo = client.post(
        "/api/v1/products/235260644/inaccuracy",
        json={"text": "Неверный вес"},
        headers=auth(tokens["operator"]),
    )
    assert fbo.status_code == 200 and fbo.json()["creates_task"] is False, fbo.text
    _, token = new_customer()
    retail = client.post(
        "/api/v1/products/483491476/inaccuracy", json={"text": "Другой цвет"}, headers=auth(token)
    )
    assert retail.status_code == 200 and retail.json()["creates_task"] is True, retail.text
    missing = client.post(
        "/api/v1/products/999999999/inaccuracy", json={"text": "x"}, headers=auth(token)
    )
    assert missing.status_code == 404
    assert run_db(demo_db, routed)[len(before) :] == [
        ("operator", "235260644", {"creates_task": False}),
        ("customer", "483491476", {"creates_task": True}),
    ]


def test_a_retail_report_is_its_task_in_one_statement_alone(client, tokens, demo_db, monkeypatch):
    """An operator's report on a Retail product: the product read once (its scheme, a quick
    read), then the task, its first event, the rule's audit entry and the task's own in one
    statement, alone on PostgreSQL (no ``BEGIN`` and ``COMMIT``) where no webhook wants the task; on
    SQLite a transaction as ever. The task's event and both entries are there."""
    from sqlalchemy import event

    from marketdesk.services.webhooks import outbox
    from marketdesk.store.models import Task, TaskEvent
    from tests.rules.test_tasks_api import _watch_alone

    went = _watch_alone(monkeypatch)
    monkeypatch.setattr(outbox._active, "seconds", 60.0)  # the subscriptions kept
    path = "/api/v1/products/483491476/inaccuracy"
    warm = client.post(path, json={"text": "Вес"}, headers=auth(tokens["operator"]))
    assert warm.status_code == 200, warm.text  # the process has read the subscriptions
    went.clear()
    asked: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        asked.append(statement)

    engine = client.app.state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        report = client.post(path, json={"text": "Другой цвет"}, headers=auth(tokens["operator"]))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert report.status_code == 200 and report.json()["creates_task"] is True, report.text
    number = report.json()["task_number"]
    # the scheme is read the quick way (past the engine), and the task's link check
    # does not read the product again
    assert [s for s in asked if "INSERT INTO tasks" in s]
    assert not [s for s in asked if "FROM products" in s]

    async def read(session):
        task_id = await session.scalar(select(Task.id).where(Task.number == number))
        kinds = list(
            await session.scalars(select(TaskEvent.kind).where(TaskEvent.task_id == task_id))
        )
        entries = list(
            await session.execute(
                select(AuditEntry.action, AuditEntry.entity_kind, AuditEntry.entity_id)
                .order_by(AuditEntry.id.desc())  # the newest two
                .limit(2)
            )
        )
        return kinds, [tuple(e) for e in reversed(entries)]

    kinds, entries = run_db(demo_db, read)
    assert kinds == ["created"]
    assert sorted(entries) == [  # one statement: PostgreSQL numbers its inserts in any order
        ("description_error.routed", "product", "483491476"),
        ("task.created", "task", number),
    ]
    if demo_db.backend == "postgresql":
        assert went == [True]
    else:  # SQLite: never alone (asked or not, as the subscriptions stand)
        assert went in ([], [False])


@pytest.mark.parametrize(
    ("code", "body", "status"),
    [
        (999999999, {"text": "x"}, 404),
        (235260644, {"text": ""}, 422),
        (235260644, {}, 422),
        (235260644, {"text": "x" * 4001}, 422),
    ],
)
def test_bad_inaccuracy_reports(client, tokens, code, body, status):
    response = client.post(
        f"/api/v1/products/{code}/inaccuracy", json=body, headers=auth(tokens["customer"])
    )
    assert response.status_code == status


def test_visitor_must_log_in_to_report(client, tokens):
    response = client.post(
        "/api/v1/products/235260644/inaccuracy", json={"text": "x"}, headers=auth(tokens["visitor"])
    )
    assert response.status_code == 403


# --- markdown ---------------------------------------------------------------------------


def test_markdown_grades_table(client, tokens):
    grades = client.get("/api/v1/markdown/grades", headers=auth(tokens["operator"])).json()
    assert [(g["grade"], g["discount_percent"]) for g in grades] == [
        (1, 50),
        (2, 40),
        (3, 30),
        (4, 20),
        (5, 10),
        (6, 5),
        (7, 3),
    ]


def _new_product(demo_db, product_id, price_rub, group):
    from sqlalchemy import select

    from marketdesk.store.models import Product, Seller

    async def work(session):
        seller = await session.scalar(select(Seller.id).limit(1))
        session.add(
            Product(
                id=product_id,
                name=f"Тестовый товар {product_id}",
                seller_id=seller,
                category_path="EPG > Тест",
                sale_scheme="retail",
                goods_group=group,
                attributes=[],
                price=price_rub * 100,
                discount=0,
            )
        )
        await session.commit()

    run_db(demo_db, work)


@pytest.mark.parametrize(
    ("product_id", "price", "group", "grade", "outcome"),
    [
        (910000001, 2990, "other", 4, "ok"),
        (910000002, 19_999, "electronics", 6, "price_out_of_range"),
        (910000003, 20_000, "electronics", 6, "ok"),
        (910000004, 39_999, "appliances", 6, "ok"),
        (910000005, 40_000, "electronics", 6, "price_out_of_range"),
        (910000006, 39_999, "electronics", 7, "price_out_of_range"),
        (910000007, 40_000, "electronics", 7, "ok"),
        (910000008, 40_000, "other", 7, "grade_not_for_group"),
        (910000009, 500, "food", 1, "excluded_group"),
    ],
)
def test_marking_down(client, tokens, demo_db, product_id, price, group, grade, outcome):
    _new_product(demo_db, product_id, price, group)
    response = client.put(
        f"/api/v1/products/{product_id}/markdown",
        json={"grade": grade, "reason": "Повреждена упаковка"},
        headers=auth(tokens["supervisor"]),
    )
    card = client.get(f"/api/v1/products/{product_id}", headers=auth(tokens["operator"])).json()
    if outcome == "ok":
        assert response.status_code == 200, response.text
        assert card["markdown"]["grade"] == grade
        assert card["markdown"]["reason"] == "Повреждена упаковка"
    else:
        assert_error(response, 422, outcome)
        assert card["markdown"] is None


@pytest.mark.parametrize(
    ("code", "grade", "error"),
    [
        (135382627, 5, "excluded_group"),  # gift cards are never marked down
        (235260644, 6, "price_out_of_range"),  # 2 990 ₽ electronics: not 20–40 thousand
        (235260644, 7, "price_out_of_range"),
        (483491476, 6, "grade_not_for_group"),  # a toy: grades 6–7 are for electronics only
    ],
)
def test_markdown_refusals(client, tokens, code, grade, error):
    response = client.put(
        f"/api/v1/products/{code}/markdown",
        json={"grade": grade, "reason": "Повреждена упаковка"},
        headers=auth(tokens["supervisor"]),
    )
    assert_error(response, 422, error)


@pytest.mark.parametrize("who", ["operator", "customer", "visitor"])
def test_operators_cannot_mark_down(client, tokens, who):
    response = client.put(
        "/api/v1/products/235260644/markdown",
        json={"grade": 5, "reason": "x"},
        headers=auth(tokens[who]),
    )
    assert response.status_code == 403


# --- phishing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ({"sender": "mailer@ozon.ru", "text": "Ваш заказ доставлен в пункт выдачи"}, "official"),
        ({"sender": "support@ozon-ru.xyz", "text": "Оплатите заказ по ссылке"}, "fraud"),
        ({"link": "https://0zon.ru/pay"}, "fraud"),
        ({"text": "Оформим возврат денег через нашего партнёра, переведите комиссию"}, "fraud"),
    ],
)
def test_phishing_verdicts(client, body, verdict):
    response = client.post("/api/v1/phishing/check", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["verdict"] == verdict
    if verdict != "official":
        assert result["reasons"] and all(r["message"] for r in result["reasons"])


@pytest.mark.parametrize(
    "body", [{}, {"sender": "", "text": "  "}, {"text": "x" * 20_001}, {"url": "x"}]
)
def test_phishing_bad_input(client, body):
    response = client.post("/api/v1/phishing/check", json=body)
    assert response.status_code == 422


@pytest.mark.parametrize("who", [*ROLES, "customer", "visitor"])
def test_phishing_is_open_to_everyone(client, tokens, who):
    response = client.post(
        "/api/v1/phishing/check", json={"text": "Привет"}, headers=auth(tokens[who])
    )
    assert response.status_code == 200
