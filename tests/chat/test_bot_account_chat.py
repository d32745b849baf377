"""The bot on the customer's own data in the live chat (issue 14, item 6): the same
dialogue as ``marketdesk ask --customer``, over the REST route and the socket, its state
kept with the conversation (a restart or a second device goes on with it), SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marketdesk.server import create_app
from marketdesk.services.auth import token_for_customer
from marketdesk.services.certificates import issue_certificate
from marketdesk.store.models import (
    BalanceEntry,
    Conversation,
    Order,
    OrderItem,
    OrderStatusEvent,
    utcnow,
)
from tests.chat.conftest import ChatEnv, auth

DEMO_CUSTOMER = 61000001  # three orders (seed 000's demo data)
EARPHONES = 235260644  # return terms 3 / 7 days
_numbers = count(1)


def _token(env: ChatEnv, customer_id: int) -> str:
    async def work(session: Any) -> str:
        return await token_for_customer(session, customer_id, ttl=timedelta(hours=1))

    return str(env.run(work))


def _code(env: ChatEnv, nominal_rub: int = 2000) -> str:
    secret = env.db.settings().hashing_secret()

    async def work(session: Any) -> str:
        issued = await issue_certificate(
            session, nominal_rub=nominal_rub, kind="electronic", secret=secret
        )
        return issued.code

    return str(env.run(work))


def _reply(env: ChatEnv, token: str, cid: int, text: str) -> dict[str, Any]:
    response = env.send(token, cid, text)
    assert response.status_code == 201, response.text
    [reply] = response.json()["replies"]
    return dict(reply)


def _rubles(env: ChatEnv, customer_id: int) -> int:
    async def work(session: Any) -> int:
        total = await session.scalar(
            select(func.sum(BalanceEntry.amount)).where(BalanceEntry.customer_id == customer_id)
        )
        return int(total or 0)

    return int(env.run(work))


def test_where_is_my_order_lists_the_orders_and_the_choice_is_kept(env: ChatEnv) -> None:
    token = _token(env, DEMO_CUSTOMER)
    cid = env.conversation(token)["id"]
    listed = _reply(env, token, cid, "где мой заказ")
    assert listed["bot"]["topic"] == "my_orders"
    for number in ("61000001-0002", "61000001-0003", "61000001-0001"):
        assert number in listed["text"]
    chosen = _reply(env, token, cid, "2")
    assert chosen["text"].startswith("Ваш заказ 61000001-0003")
    assert "Выполнен" in chosen["text"]
    assert env.get(token, cid)["topic"] == "my_orders"


def test_a_certificate_is_asked_for_then_activated_after_a_restart(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    cid = env.conversation(token)["id"]
    asked = _reply(env, token, cid, "актевировать сертефикат")
    assert "код сертификата" in asked["text"]
    code = _code(env, 2000)
    # another server process on the same database: the question asked is kept in the row
    with TestClient(create_app(env.db.settings()), raise_server_exceptions=False) as other:
        response = other.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "code-1", "text": code},
            headers=auth(token),
        )
    assert response.status_code == 201, response.text
    [done] = response.json()["replies"]
    assert "Сертификат активирован: 2000" in done["text"]
    assert done["bot"]["topic"] == "my_certificate"
    assert _rubles(env, customer_id) == 200000
    # every message in order, none lost to the activation's own commit
    seqs = [(m["seq"], m["sender_kind"]) for m in env.messages(token, cid)]
    assert [s for s, _ in seqs] == list(range(1, len(seqs) + 1))
    assert [k for _, k in seqs][-4:] == ["customer", "bot", "customer", "bot"]


def test_a_refused_code_says_why_and_keeps_the_message(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    cid = env.conversation(token)["id"]
    _reply(env, token, cid, "хочу активировать сертификат")
    refused = _reply(env, token, cid, "ABCD-EFGH-1234-5678")
    assert "не найден" in refused["text"].lower() or "неверн" in refused["text"].lower()
    texts = [m["text"] for m in env.messages(token, cid)]
    assert "ABCD-EFGH-1234-5678" in texts  # the customer's message survived the refusal
    assert _rubles(env, customer_id) == 0


def _order(env: ChatEnv, customer_id: int, days: int) -> str:
    number = f"{customer_id}-{next(_numbers):04d}"

    async def work(session: Any) -> None:
        now = utcnow()
        order = Order(
            number=number,
            customer_id=customer_id,
            status="completed",
            delivery_type="courier",
            created_at=now - timedelta(days=days + 3),
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
        session.add(
            OrderStatusEvent(order_id=order.id, status="completed", at=now - timedelta(days=days))
        )
        await session.commit()

    env.run(work)
    return number


def test_a_return_the_rule_refuses_keeps_the_conversation_whole(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    _order(env, customer_id, days=30)
    cid = env.conversation(token)["id"]
    reply = _reply(env, token, cid, "вернуть наушники, не подошли")
    assert reply["bot"]["topic"] == "my_return"
    assert reply["text"].startswith("Вернуть «Беспроводные наушники» не получится")
    assert "закончился" in reply["text"]
    messages = env.messages(token, cid)
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert messages[-2]["text"] == "вернуть наушники, не подошли"


def test_a_return_the_rule_accepts_after_the_reason_is_asked(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    _order(env, customer_id, days=2)
    cid = env.conversation(token)["id"]
    asked = _reply(env, token, cid, "хочу вернуть товар")
    assert "Почему вы возвращаете «Беспроводные наушники»" in asked["text"]
    done = _reply(env, token, cid, "3")
    assert "Заявка на возврат RET-" in done["text"]
    messages = env.messages(token, cid)
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert [m["sender_kind"] for m in messages][-4:] == ["customer", "bot", "customer", "bot"]


def test_the_balance_over_the_socket(env: ChatEnv) -> None:
    token = _token(env, DEMO_CUSTOMER)
    cid = env.conversation(token)["id"]
    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": token, "last_seq": 0})
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "message", "client_msg_id": "b-1", "text": "сколько у меня баллов"})
        bot = None
        for _ in range(20):
            frame = ws.receive_json()
            if frame["type"] == "message" and frame["message"]["sender_kind"] == "bot":
                bot = frame["message"]
                break
    assert bot is not None
    assert "Баллы Ozon: 320\u00a0Б" in bot["text"]
    assert bot["bot"]["topic"] == "my_balance"


def test_a_visitor_is_offered_the_login_and_sees_no_account(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    reply = _reply(env, token, cid, "сколько у меня баллов")
    assert "вой" in reply["text"].lower()  # «войдите»
    assert "320" not in reply["text"]


def test_the_dialogue_state_is_kept_in_the_conversation_row(env: ChatEnv) -> None:
    token = _token(env, DEMO_CUSTOMER)
    cid = env.conversation(token)["id"]
    _reply(env, token, cid, "где мой заказ")

    async def kept(session: Any) -> Any:
        conversation = await session.get(Conversation, cid)
        return conversation.extra.get("bot_dialog")

    state = env.run(kept)
    assert state["pending"] == "choose_order"
    assert len(state["options"]) == 3
    _reply(env, token, cid, "1")
    assert env.run(kept) is None


def test_two_close_topics_are_asked_about_and_the_choice_answered(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    asked = _reply(env, token, cid, "сертификат")
    assert asked["bot"]["topic"] is None
    assert len(asked["bot"]["suggestions"]) >= 2
    first = asked["bot"]["suggestions"][0]["slug"]
    # the question is kept with the conversation: «1» is the first topic offered
    chosen = _reply(env, token, cid, "1")
    assert chosen["bot"]["topic"] == first
    assert env.get(token, cid)["topic"] == first


def test_a_failing_action_hands_off_and_loses_no_message(env: ChatEnv, monkeypatch: Any) -> None:
    from marketdesk.services import certificates

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away mid-activation")

    monkeypatch.setattr(certificates, "activate_certificate", broken)
    _, token = env.customer()
    cid = env.conversation(token)["id"]
    _reply(env, token, cid, "активировать сертификат")
    failed = _reply(env, token, cid, "ABCD-EFGH-1234-5678")
    assert failed["bot"]["action"] == "handoff"
    messages = env.messages(token, cid)
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert "ABCD-EFGH-1234-5678" in [m["text"] for m in messages]
    assert env.get(token, cid)["status"] == "queued"
