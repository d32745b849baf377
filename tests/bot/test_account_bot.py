"""The bot acting on the logged-in customer's own data (issue 14, item 6), through
``marketdesk ask --customer ID`` on the test database (SQLite, and PostgreSQL when
MARKETDESK_TEST_DATABASE_URL is set), and in the live chat (the topic kept per conversation).
"""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from marketdesk.cli import main
from marketdesk.store.models import (
    BalanceEntry,
    GiftCertificate,
    Order,
    OrderItem,
    OrderStatusEvent,
    ReturnRequest,
    utcnow,
)
from tests.chat.conftest import ChatEnv, env  # noqa: F401  (the chat's fixture)
from tests.conftest import TestDatabase, run_db

from .conftest import REAL_KB

EARPHONES = 235260644  # return terms 3 / 7 days, warranty 12 months (seed 000's card)
DEMO_CUSTOMER = 61000001  # three orders, 1 750 ₽ (1 500 ₽ of a certificate), 320 Баллы Ozon
_numbers = count(1)


def run(db: TestDatabase, args: list[str], lines: str | None = None) -> Result:
    environ = {"MARKETDESK_DATABASE_URL": db.url, "MARKETDESK_DATA_DIR": str(db.tmp)}
    return CliRunner().invoke(main, ["ask", *args, "--kb-dir", str(REAL_KB)], lines, env=environ)


def dialog(db: TestDatabase, customer_id: int, *turns: str) -> list[dict[str, Any]]:
    result = run(db, ["--jsonl", "--dialogs", "--customer", str(customer_id)], "\n".join(turns))
    assert result.exit_code == 0, result.output
    replies = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert len(replies) == len([t for t in turns if t.strip()])
    return replies


@pytest.fixture
def ordered(new_customer: Any, demo_db: TestDatabase) -> Any:
    """A customer of their own with one order of earphones received ``days`` ago."""

    def make(days: int, customer_id: int | None = None) -> tuple[int, str]:
        if customer_id is None:
            customer_id, _ = new_customer()
        number = f"{customer_id}-{next(_numbers):04d}"

        async def work(session: Any) -> None:
            now = utcnow()
            created = now - timedelta(days=days + 3)
            order = Order(
                number=number,
                customer_id=customer_id,
                status="completed",
                delivery_type="courier",
                created_at=created,
                total=299000,
            )
            session.add(order)
            await session.flush()
            session.add(
                OrderItem(
                    order_id=order.id,
                    product_id=EARPHONES,
                    name="Беспроводные наушники",
                    quantity=1,
                    price=299000,
                )
            )
            session.add(OrderStatusEvent(order_id=order.id, status="created", at=created))
            at = now - timedelta(days=days)
            session.add(OrderStatusEvent(order_id=order.id, status="completed", at=at))
            await session.commit()

        run_db(demo_db, work)
        return customer_id, number

    return make


def test_one_question_as_a_logged_in_customer(demo_db: TestDatabase) -> None:
    result = run(demo_db, ["--customer", str(DEMO_CUSTOMER), "где мой заказ"])
    assert result.exit_code == 0, result.output
    assert "61000001-0002" in result.output and "Передан в доставку" in result.output


def test_where_is_my_order_lists_the_last_orders_and_offers_a_choice(
    demo_db: TestDatabase,
) -> None:
    listed, chosen = dialog(demo_db, DEMO_CUSTOMER, "где мой заказ", "2")
    assert listed["topic"] == "my_orders"
    for number in ("61000001-0002", "61000001-0003", "61000001-0001"):
        assert number in listed["answer"]
    assert "1. Заказ 61000001-0002" in listed["answer"]  # the newest first
    assert "Напишите номер" in listed["answer"]
    assert chosen["answer"].startswith("Ваш заказ 61000001-0003")
    assert "Выполнен" in chosen["answer"] and "ITOUY Робот-трансформер" in chosen["answer"]


def test_one_order_is_told_at_once(demo_db: TestDatabase, ordered: Any) -> None:
    customer_id, number = ordered(days=2)
    [reply] = dialog(demo_db, customer_id, "где мой заказ")
    assert reply["answer"].startswith(f"Ваш заказ {number}") and "Выполнен" in reply["answer"]


def test_no_other_customers_order_is_told(demo_db: TestDatabase) -> None:
    [reply] = dialog(demo_db, DEMO_CUSTOMER, "где мой заказ 58561573-0011")
    assert "58561573-0011" not in reply["answer"]  # another customer's: not even named
    assert "61000001-0002" in reply["answer"]  # the customer's own orders instead
    [own] = dialog(demo_db, DEMO_CUSTOMER, "где мой заказ 61000001-0003")
    assert own["answer"].startswith("Ваш заказ 61000001-0003")


def test_the_balance_by_kind(demo_db: TestDatabase) -> None:
    [reply] = dialog(demo_db, DEMO_CUSTOMER, "сколько у меня баллов")
    assert reply["topic"] == "my_balance"
    text = reply["answer"]
    assert "Рубли: 1\u00a0750\u00a0₽" in text
    assert "Подарочный сертификат — 1\u00a0500\u00a0₽" in text
    assert "Баллы Ozon: 320\u00a0Б" in text and "Баллы за отзыв" in text
    assert "Ozon.Бонусы: 0\u00a0Б" in text


def test_withdrawal_gives_the_amount_rule_and_the_link(demo_db: TestDatabase) -> None:
    first, follow_up = dialog(demo_db, DEMO_CUSTOMER, "хочу вывести дениги", "а сколько ждать?")
    text = first["answer"]
    assert first["topic"] == "my_withdrawal"
    assert "вывести можно 250\u00a0₽" in text
    assert "от 100\u00a0₽" in text and "всю сумму целиком" in text
    assert "сертификатов (1\u00a0500\u00a0₽)" in text
    assert "/#withdraw" in text
    assert follow_up["topic"] == "my_withdrawal"  # «а сколько ждать?» stays on withdrawal


def test_a_certificate_is_asked_for_then_activated(
    demo_db: TestDatabase, new_customer: Any, issue_code: Any
) -> None:
    customer_id, _ = new_customer()
    code = issue_code(nominal_rub=3000)
    asked, done = dialog(demo_db, customer_id, "актевировать сертефикат", code)
    assert "код сертификата" in asked["answer"]
    assert done["topic"] == "my_certificate"
    assert "Сертификат активирован: 3000" in done["answer"]

    async def rubles(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.sum(BalanceEntry.amount)).where(BalanceEntry.customer_id == customer_id)
            )
        )

    assert run_db(demo_db, rubles) == 300000


def test_the_fourth_activation_of_the_day_is_refused_with_the_time(
    demo_db: TestDatabase, new_customer: Any, issue_code: Any
) -> None:
    customer_id, _ = new_customer()
    codes = [issue_code(nominal_rub=500) for _ in range(4)]
    turns: list[str] = []
    for code in codes:
        turns += ["", f"активируйте сертификат {code}"]
    replies = dialog(demo_db, customer_id, *turns)
    assert all("Сертификат активирован" in r["answer"] for r in replies[:3])
    refused = replies[3]["answer"]
    assert "Сертификат активирован" not in refused
    assert "по московскому времени" in refused

    async def status(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count(GiftCertificate.id)).where(
                    GiftCertificate.activated_by == customer_id
                )
            )
        )

    assert run_db(demo_db, status) == 3


def test_an_unknown_code_is_refused_with_the_reason(
    demo_db: TestDatabase, new_customer: Any
) -> None:
    customer_id, _ = new_customer()
    asked, again, refused = dialog(
        demo_db, customer_id, "активировать сертификат", "не знаю где он", "ABCD-EFGH-JKLM-NP23"
    )
    assert "код сертификата" in asked["answer"]
    assert "Не вижу в сообщении кода" in again["answer"]
    assert refused["topic"] == "my_certificate"
    assert "Сертификат активирован" not in refused["answer"] and refused["answer"]


def test_a_return_the_rule_accepts(demo_db: TestDatabase, ordered: Any) -> None:
    customer_id, _ = ordered(days=2)
    asked, done = dialog(demo_db, customer_id, "хочу вернуть товар", "3")
    assert "Почему вы возвращаете «Беспроводные наушники»" in asked["answer"]
    assert "Заявка на возврат RET-" in done["answer"]

    async def returns(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count(ReturnRequest.id)).where(ReturnRequest.customer_id == customer_id)
            )
        )

    assert run_db(demo_db, returns) == 1


def test_a_return_the_rule_refuses_says_when_the_term_ended(
    demo_db: TestDatabase, ordered: Any
) -> None:
    customer_id, _ = ordered(days=30)
    [reply] = dialog(demo_db, customer_id, "вернуть наушники, не подошли")
    assert reply["answer"].startswith("Вернуть «Беспроводные наушники» не получится")
    assert "закончился" in reply["answer"]


def test_which_item_is_asked_when_there_are_several(demo_db: TestDatabase, ordered: Any) -> None:
    customer_id, first = ordered(days=2)
    _, second = ordered(days=2, customer_id=customer_id)
    asked, reason, done = dialog(demo_db, customer_id, "возврат товара", "2", "брак")
    assert "Какой товар вы хотите вернуть?" in asked["answer"]
    assert first in asked["answer"] and second in asked["answer"]
    assert "Почему вы возвращаете" in reason["answer"]
    assert "Заявка на возврат RET-" in done["answer"]


def test_a_confidential_question_is_refused_for_a_customer_too(demo_db: TestDatabase) -> None:
    [reply] = dialog(demo_db, DEMO_CUSTOMER, "покажи заказы моего соседа")
    assert reply["action"] == "refuse"


def test_an_unknown_customer_is_a_clear_error(demo_db: TestDatabase) -> None:
    result = run(demo_db, ["--customer", "999999999", "где мой заказ"])
    assert result.exit_code == 1
    assert "не найден" in result.output


def test_customer_and_visitor_exclude_each_other(demo_db: TestDatabase) -> None:
    result = run(demo_db, ["--customer", "1", "--visitor", "где мой заказ"])
    assert result.exit_code == 2


def test_the_chat_keeps_the_topic_of_the_last_turn(env: ChatEnv) -> None:  # noqa: F811
    token = env.visitor()
    conversation = env.conversation(token)
    first = env.send(token, conversation["id"], "как вывести деньги с баланса").json()
    assert first["replies"][0]["bot"]["topic"] == "balance_withdrawal"
    follow_up = env.send(token, conversation["id"], "а сколько ждать?").json()
    [reply] = follow_up["replies"]
    assert reply["bot"]["topic"] == "balance_withdrawal"
    assert follow_up["conversation"]["topic"] == "balance_withdrawal"


def test_a_visitor_in_the_chat_is_offered_the_login_first(env: ChatEnv) -> None:  # noqa: F811
    token = env.visitor()
    conversation = env.conversation(token)
    body = env.send(token, conversation["id"], "где мой заказ").json()
    [reply] = body["replies"]
    assert reply["text"].startswith("Чтобы я показал ваши заказы")
    assert reply["bot"]["action"] == "answer"


def test_the_seller_line_in_the_chat_answers_from_the_seller_articles(
    env: ChatEnv,  # noqa: F811
) -> None:
    token = env.visitor()
    seller = {"seller_topic": "Финансы", "seller_subtopic": "Финансовые отчёты"}
    conversation = env.conversation(token, line="seller", **seller)
    body = env.send(token, conversation["id"], "как связаться с поддержкой").json()
    [reply] = body["replies"]
    assert reply["bot"]["topic"] == "seller_support"


def test_without_a_database_the_error_is_clear(tmp_path: Any) -> None:
    environ = {"MARKETDESK_DATA_DIR": str(tmp_path), "MARKETDESK_DATABASE_URL": ""}
    result = CliRunner().invoke(
        main, ["ask", "--customer", "5", "где мой заказ", "--kb-dir", str(REAL_KB)], env=environ
    )
    assert result.exit_code == 1
    assert "marketdesk db upgrade" in result.output
