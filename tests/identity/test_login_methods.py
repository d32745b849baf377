"""Login confirmation the way seed 001 lists it (issue 14, item 4): an SMS code, a code in
the «Безопасность» chat of an already logged-in device, a push to an already logged-in
browser; the same limits for all three. The customer's devices and «выйти на всех
устройствах»."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services import customer_login as login
from marketdesk.services.errors import CodeRequestTooSoon, InvalidLoginCode, TooManyCodeRequests
from marketdesk.store.models import Notification, PushSubscription, SecurityMessage, utcnow
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

from .helpers import new_phone

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def _request(env: ChatEnv, phone: str, method: str) -> Any:
    return env.client.post("/api/v1/auth/phone/code", json={"phone": phone, "method": method})


def _chat_code(env: ChatEnv, token: str) -> str | None:
    chat = env.client.get("/api/v1/me/security-chat", headers=auth(token))
    assert chat.status_code == 200, chat.text
    assert chat.json()["title"] == "Безопасность"
    texts = [m["text"] for m in chat.json()["messages"]]
    found = re.search(r"\b(\d{6})\b", texts[-1]) if texts else None
    return found.group(1) if found else None


def _notifications(env: ChatEnv, customer_id: int) -> list[Notification]:
    async def work(session: Any) -> list[Notification]:
        rows = await session.scalars(
            select(Notification).where(Notification.customer_id == customer_id)
        )
        return list(rows)

    return list(env.run(work))


def test_a_code_in_the_security_chat_logs_in_a_second_device(env: ChatEnv) -> None:
    phone = new_phone()
    customer_id, device_a = env.customer(phone=phone)
    sent = _request(env, phone, "security_chat")
    assert sent.status_code == 200, sent.text
    assert "Безопасность" in sent.json()["message"] and sent.json()["method"] == "security_chat"
    assert not _notifications(env, customer_id)  # no SMS for this way
    code = _chat_code(env, device_a)
    assert code is not None

    device_b = env.client.post(
        "/api/v1/auth/phone/verify",
        json={"phone": phone, "code": code},
        headers={"User-Agent": CHROME},
    )
    assert device_b.status_code == 200, device_b.text
    token_b = device_b.json()["token"]
    assert _chat_code(env, device_a) is None  # used: the chat hides it

    devices = env.client.get("/api/v1/me/devices", headers=auth(token_b))
    assert devices.status_code == 200, devices.text
    listed = devices.json()["devices"]
    assert len(listed) == 2
    assert [d["current"] for d in listed] == [True, False]
    assert listed[0]["device"] == "Chrome, Windows"

    ended = env.client.post("/api/v1/me/devices/logout-all", headers=auth(token_b))
    assert ended.status_code == 200 and ended.json()["ended"] == 2
    for token in (device_a, token_b):
        assert env.client.get("/api/v1/me/devices", headers=auth(token)).status_code == 401


def test_nobody_logged_in_or_unknown_gets_the_same_answer_and_no_code(env: ChatEnv) -> None:
    phone = new_phone()
    customer_id, token = env.customer(phone=phone)
    env.client.post("/api/v1/me/devices/logout-all", headers=auth(token))
    unknown = _request(env, new_phone(), "security_chat")
    known = _request(env, phone, "security_chat")
    assert known.status_code == unknown.status_code == 200
    assert set(known.json()) == set(unknown.json())
    assert known.json()["expires_in"] == unknown.json()["expires_in"]

    async def posted(session: Any) -> list[SecurityMessage]:
        rows = await session.scalars(
            select(SecurityMessage).where(SecurityMessage.customer_id == customer_id)
        )
        return list(rows)

    assert env.run(posted) == []


def test_a_push_goes_to_the_browsers_of_the_customer(env: ChatEnv) -> None:
    lonely = new_phone()
    lonely_id, _ = env.customer(phone=lonely)
    assert _request(env, lonely, "push").status_code == 200
    assert not _notifications(env, lonely_id)  # no browser subscribed: nothing sent

    phone = new_phone()
    customer_id, _ = env.customer(phone=phone)

    async def subscribe(session: Any) -> None:
        session.add(
            PushSubscription(
                customer_id=customer_id,
                endpoint=f"https://push.example.test/{customer_id}",
                p256dh="BNc",
                auth="YWJj",
            )
        )
        await session.commit()

    env.run(subscribe)
    sent = _request(env, phone, "push")
    assert sent.status_code == 200 and sent.json()["method"] == "push"
    [row] = _notifications(env, customer_id)
    assert row.channel == "push" and row.event == "login_code" and row.secret is True
    # the same limits: a second code within the minute waits, whatever the method
    assert_error(_request(env, phone, "security_chat"), 429, "rate_limited")
    assert_error(_request(env, phone, "sms"), 429, "rate_limited")


def test_a_method_seed_001_lists_but_we_cannot_place_is_refused(env: ChatEnv) -> None:
    refused = _request(env, new_phone(), "call")
    assert refused.status_code == 422


def _customer_row(env: ChatEnv, phone: str) -> int:
    customer_id, _ = env.customer(phone=phone)
    return customer_id


def test_the_limits_are_shared_by_the_three_methods(env: ChatEnv) -> None:
    """One phone: a code a minute and five an hour, whatever way each went; five wrong
    tries void a code, whichever way it came."""
    phone = new_phone()
    customer_id = _customer_row(env, phone)
    start = utcnow()
    methods = [
        login.LoginChannel.SMS,
        login.LoginChannel.SECURITY_CHAT,
        login.LoginChannel.PUSH,
        login.LoginChannel.SECURITY_CHAT,
        login.LoginChannel.SMS,
    ]

    def request(method: Any, at: Any) -> Any:
        async def work(session: Any) -> Any:
            return await login.request_code(
                session, phone=phone, ip=None, secret=b"s", now=at, method=method
            )

        return env.run(work)

    request(methods[0], start)
    with pytest.raises(CodeRequestTooSoon):
        request(login.LoginChannel.SECURITY_CHAT, start + timedelta(seconds=30))
    for n, method in enumerate(methods[1:], start=1):
        request(method, start + timedelta(minutes=2 * n))
    with pytest.raises(TooManyCodeRequests):
        request(login.LoginChannel.PUSH, start + timedelta(minutes=11))
    assert customer_id > 0


def test_five_wrong_tries_void_a_security_chat_code(env: ChatEnv) -> None:
    phone = new_phone()
    _, device_a = env.customer(phone=phone)
    assert _request(env, phone, "security_chat").status_code == 200
    code = _chat_code(env, device_a)
    assert code is not None
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        refused = env.client.post("/api/v1/auth/phone/verify", json={"phone": phone, "code": wrong})
        assert_error(refused, 401, InvalidLoginCode.code)
    late = env.client.post("/api/v1/auth/phone/verify", json={"phone": phone, "code": code})
    assert_error(late, 401, InvalidLoginCode.code)
    assert _chat_code(env, device_a) is None  # void: the chat hides it
