"""Login codes are never stored readable: the outbox hands the SMS to the gateway and wipes
its text; supervisors see deliveries (phone masked, status, times), never a code."""

from __future__ import annotations

import asyncio
import random
import stat
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketdesk.channels.sms import DEMO_LOG_NAME, MemorySmsGateway
from marketdesk.services import customer_login as login
from marketdesk.services.notifications import deliver_due
from marketdesk.store.models import Notification, utcnow
from tests.chat.conftest import ChatEnv, auth
from tests.conftest import DEMO_PASSWORD


def _phone() -> str:
    return "+7998" + "".join(random.choices("0123456789", k=7))


async def deliver_pending(session: Any, gateway: Any, *, now: Any = None) -> int:
    return await deliver_due(session, {"sms": gateway}, secret=b"s", now=now)


def _rows(env: ChatEnv, phone: str) -> list[Notification]:
    async def work(session: Any) -> list[Notification]:
        query = select(Notification).where(Notification.address == phone).order_by(Notification.id)
        return list(await session.scalars(query))

    return list(env.run(work))


def test_a_requested_code_is_delivered_and_not_kept(env: ChatEnv) -> None:
    phone = _phone()
    env.customer(phone=phone)
    response = env.client.post("/api/v1/auth/phone/code", json={"phone": phone})
    assert response.status_code == 200, response.text

    # the request itself handed the SMS to the (demo) gateway: a file only the server reads
    demo_log = env.db.tmp / DEMO_LOG_NAME
    assert stat.S_IMODE(demo_log.stat().st_mode) == 0o600
    [row] = _rows(env, phone)
    assert row.status == "sent" and row.sent_at is not None
    assert row.body is None  # nothing readable is left in the database
    code = env.sms_code(phone)
    assert code is not None

    supervisor = env.client.post(
        "/api/v1/auth/login", json={"login": "supervisor", "password": DEMO_PASSWORD}
    ).json()["token"]
    listed = env.client.get("/api/v1/sms-outbox", headers=auth(supervisor))
    assert listed.status_code == 200
    [entry] = [m for m in listed.json()["messages"] if m["id"] == row.id]
    assert set(entry) == {"id", "phone", "kind", "status", "attempts", "created_at", "sent_at"}
    assert entry["status"] == "sent" and entry["kind"] == "login_code"
    assert entry["phone"].startswith("+7") and entry["phone"].endswith(phone[-2:])
    assert phone not in listed.text and phone[2:] not in listed.text
    assert code not in listed.text

    # the customer logs in with the code they got
    verified = env.client.post("/api/v1/auth/phone/verify", json={"phone": phone, "code": code})
    assert verified.status_code == 200, verified.text


class _Down:
    """A gateway that is down (the provider refuses): delivery must be retried."""

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, message: Any) -> None:
        self.tries += 1
        raise ConnectionError("gateway unavailable")


def test_an_unsent_code_is_retried_and_wiped_when_it_expires(env: ChatEnv) -> None:
    phone, late = _phone(), _phone()
    env.customer(phone=phone)
    env.customer(phone=late)
    start = utcnow()

    async def request(session: Any, number: str, at: Any = start) -> None:
        await login.request_code(session, phone=number, ip="10.9.0.1", secret=b"s", now=at)

    env.run(lambda s: request(s, phone))
    env.run(lambda s: request(s, late))
    down, up = _Down(), MemorySmsGateway()

    async def deliver(session: Any, gateway: Any, at: Any) -> int:
        return await deliver_pending(session, gateway, now=at)

    env.run(lambda s: deliver(s, down, start))
    assert down.tries >= 2
    [row] = _rows(env, phone)
    assert (row.status, row.attempts, row.sent_at) == ("queued", 1, None)
    # not due again before its pause is over, then sent by a later round (the worker's)
    env.run(lambda s: deliver(s, up, start + timedelta(milliseconds=10)))
    assert up.last_to(phone) is None
    env.run(lambda s: deliver(s, up, start + timedelta(minutes=2)))
    assert up.last_to(phone) is not None and up.last_to(late) is not None
    [row] = _rows(env, phone)
    assert (row.status, row.body, row.attempts) == ("sent", None, 2)

    # a code that could not be sent before it expired is wiped, never sent
    later = start + timedelta(minutes=2)
    env.run(lambda s: request(s, phone, later))  # a new code, its row pending (gateway down)
    env.run(lambda s: deliver(s, down, later))
    assert _rows(env, phone)[-1].body is not None
    env.run(lambda s: deliver(s, up, later + timedelta(minutes=5, seconds=1)))
    newest = _rows(env, phone)[-1]
    assert (newest.status, newest.body, newest.sent_at) == ("expired", None, None)


def test_two_deliveries_at_once_send_each_sms_once(env: ChatEnv) -> None:
    phones = [_phone() for _ in range(5)]
    for number in phones:
        env.customer(phone=number)
    start = utcnow()

    async def work(session: Any) -> None:
        for i, number in enumerate(phones):
            await login.request_code(
                session, phone=number, ip=f"10.8.0.{i}", secret=b"s", now=start
            )

    env.run(work)
    gateway = MemorySmsGateway()

    async def both() -> None:
        from marketdesk.store.db import Database

        database = Database(env.db.url)
        try:
            async with database.sessions() as a, database.sessions() as b:
                await asyncio.gather(
                    deliver_pending(a, gateway, now=start), deliver_pending(b, gateway, now=start)
                )
        finally:
            await database.dispose()

    asyncio.run(both())
    sent = [sms.phone for sms in gateway.sent if sms.phone in phones]
    assert sorted(sent) == sorted(phones)
