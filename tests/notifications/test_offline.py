"""An operator's reply while the customer is away from the web chat: e-mail (or push) after
the delay, once per conversation until the customer comes back — their chat socket opening
marks them seen (``services.notifications.offline``). The sweep is run with a clock past the
delay instead of waiting for it."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from marketdesk.services import notifications
from marketdesk.store.models import Customer, CustomerPresence, Notification, utcnow
from tests.chat.conftest import ChatEnv, auth


def _policy(env: ChatEnv) -> notifications.NotifyPolicy:
    return notifications.NotifyPolicy.from_settings(env.db.settings())


def _chat(env: ChatEnv) -> tuple[int, int, str, str]:
    """A customer (with an e-mail address) whose conversation an operator took → (customer,
    conversation, customer's token, operator's token)."""
    customer_id, customer = env.customer()

    async def email(session: Any) -> None:
        row = await session.get(Customer, customer_id)
        row.email = f"away{customer_id}@example.ru"
        await session.commit()

    env.run(email)
    cid = env.conversation(customer)["id"]
    assert env.post(customer, f"/api/v1/conversations/{cid}/handoff").status_code == 200
    _, operator = env.operator()
    assert env.post(operator, f"/api/v1/conversations/{cid}/take").status_code == 200
    return customer_id, cid, customer, operator


def _reply(env: ChatEnv, operator: str, cid: int, text: str, **extra: Any) -> None:
    response = env.send(operator, cid, text, **extra)
    assert response.status_code in (200, 201), response.text


def _sweep(env: ChatEnv, *, at: datetime | None = None) -> int:
    policy = _policy(env)
    now = at or utcnow() + policy.offline_delay + timedelta(seconds=1)

    async def work(session: Any) -> int:
        return await notifications.raise_offline_replies(session, policy=policy, now=now)

    return env.run(work)  # type: ignore[no-any-return]


def _told(env: ChatEnv, customer_id: int) -> list[Notification]:
    async def work(session: Any) -> list[Notification]:
        query = (
            select(Notification)
            .where(Notification.customer_id == customer_id, Notification.event == "operator_reply")
            .order_by(Notification.id)
        )
        return list(await session.scalars(query))

    return env.run(work)  # type: ignore[no-any-return]


def _seen_after(env: ChatEnv, customer_id: int, moment: datetime) -> None:
    """Wait until the chat socket's mark of the customer is later than ``moment`` (the
    server writes it as the socket opens and as it closes)."""

    async def work(session: Any) -> datetime | None:
        seen = await session.scalar(
            select(CustomerPresence.seen_at).where(CustomerPresence.customer_id == customer_id)
        )
        await session.rollback()
        return seen

    deadline = time.monotonic() + 20
    while True:
        seen = env.run(work)
        if seen is not None and seen > moment:
            return
        assert time.monotonic() < deadline, (seen, moment)
        time.sleep(0.05)


def _visit(env: ChatEnv, customer_id: int, customer: str, cid: int, during: Any = None) -> None:
    """The customer opens the chat (and sees what ``during`` does), then leaves."""
    opened = utcnow()
    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": customer, "last_seq": 0})
        assert ws.receive_json()["type"] == "ready"
        _seen_after(env, customer_id, opened)
        if during is not None:
            during()
        closing = utcnow()
    _seen_after(env, customer_id, closing)


def test_replies_to_an_away_customer_are_told_once_until_they_come_back(env: ChatEnv) -> None:
    customer_id, cid, customer, operator = _chat(env)
    _reply(env, operator, cid, "Здравствуйте! Проверяю ваш заказ.")
    _reply(env, operator, cid, "Заказ передан в доставку, ждите курьера завтра.")
    _reply(env, operator, cid, "Заметка для коллег", private=True)
    assert _sweep(env, at=utcnow()) == 0  # the delay has not passed
    assert _told(env, customer_id) == []

    assert _sweep(env) == 1  # two replies, one notification
    assert _sweep(env) == 0
    [told] = _told(env, customer_id)
    assert (told.channel, told.type, told.status) == ("email", "account", "queued")
    assert told.address == f"away{customer_id}@example.ru"
    assert told.template == "account/operator_reply.email"
    assert told.subject == "Поддержка ответила на ваше обращение"
    assert told.body is not None and "Заказ передан" not in told.body  # no reply's text

    # the customer comes back: what they see while the chat is open is not told
    _visit(env, customer_id, customer, cid, lambda: _reply(env, operator, cid, "Вы здесь?"))
    assert _sweep(env) == 0
    assert len(_told(env, customer_id)) == 1

    # away again: the next reply is told again, once
    _reply(env, operator, cid, "Курьер перенёс доставку на послезавтра.")
    _reply(env, operator, cid, "Если время неудобно — напишите.")
    assert _sweep(env) == 1
    assert _sweep(env) == 0
    first, second = _told(env, customer_id)
    assert second.channel == "email" and second.idempotency_key != first.idempotency_key


def test_a_customer_who_switched_the_channel_off_is_not_told(env: ChatEnv) -> None:
    customer_id, cid, customer, operator = _chat(env)
    off = env.client.put(
        "/api/v1/me/notification-settings",
        json={"settings": [{"type": "account", "channel": "email", "enabled": False}]},
        headers=auth(customer),
    )
    assert off.status_code == 200, off.text
    _reply(env, operator, cid, f"Ответ {uuid.uuid4().hex[:6]}")
    assert _sweep(env) == 0
    assert _told(env, customer_id) == []


def test_a_visitors_conversation_and_the_customers_own_messages_tell_nobody(
    env: ChatEnv,
) -> None:
    customer_id, cid, customer, _ = _chat(env)
    sent = env.send(customer, cid, "Я тут, жду ответа")
    assert sent.status_code in (200, 201), sent.text
    visitor = env.visitor()
    other = env.conversation(visitor)["id"]
    assert env.post(visitor, f"/api/v1/conversations/{other}/handoff").status_code == 200
    _, operator = env.operator()
    assert env.post(operator, f"/api/v1/conversations/{other}/take").status_code == 200
    _reply(env, operator, other, "Ответ гостю без личного кабинета")
    _sweep(env)
    assert _told(env, customer_id) == []

    async def visitor_rows(session: Any) -> int:
        rows = await session.scalars(
            select(Notification.id).where(
                Notification.event == "operator_reply",
                Notification.idempotency_key.like(f"offline-reply:{other}:%"),
            )
        )
        return len(list(rows))

    assert env.run(visitor_rows) == 0
