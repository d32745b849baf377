"""The routes: the customer's settings (contract ``{"settings": [{"type", "channel",
"enabled"}]}``), what staff see in the card (settings, the delivery log without secrets), the
unsubscribe link; access for every kind of user."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services.notifications import unsubscribe_token
from marketdesk.store.models import BalanceEntry, Customer, Notification, utcnow
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

ROLES = ("operator", "backoffice", "supervisor", "admin")
SETTINGS = "/api/v1/me/notification-settings"


def _customer(env: ChatEnv, *, email: str | None = None) -> tuple[int, str, str]:
    import random

    phone = "+7996" + "".join(random.choices("0123456789", k=7))
    customer_id, token = env.customer(phone=phone)
    if email:

        async def work(session: Any) -> None:
            customer = await session.get(Customer, customer_id)
            customer.email = email
            await session.commit()

        env.run(work)
    return customer_id, token, phone


def _enabled(body: dict[str, Any]) -> dict[tuple[str, str], bool]:
    return {(i["type"], i["channel"]): i["enabled"] for i in body["settings"]}


def test_the_customer_reads_and_changes_settings(env: ChatEnv) -> None:
    _, token, _ = _customer(env)
    got = env.client.get(SETTINGS, headers=auth(token))
    assert got.status_code == 200, got.text
    items = got.json()["settings"]
    assert len(items) == 36
    first = items[0]
    assert {"type", "channel", "enabled", "type_title", "channel_title", "can_disable"} <= set(
        first
    )
    before = _enabled(got.json())
    assert before[("marketing", "email")] is True

    changed = env.client.put(
        SETTINGS,
        json={
            "settings": [
                {"type": "marketing", "channel": "email", "enabled": False},
                {"type": "marketing", "channel": "push", "enabled": False},
                {"type": "orders", "channel": "vk", "enabled": True},
            ]
        },
        headers=auth(token),
    )
    assert changed.status_code == 200, changed.text
    after = _enabled(changed.json())
    assert after[("marketing", "email")] is False and after[("marketing", "push")] is False
    assert after[("orders", "vk")] is True
    assert _enabled(env.client.get(SETTINGS, headers=auth(token)).json()) == after


def test_what_cannot_be_switched_off_is_refused_in_russian(env: ChatEnv) -> None:
    _, token, _ = _customer(env)
    channels = ("sms", "push", "center", "email", "vk", "ok")
    for type_, title in (("account", "регистрационных данных"), ("orders", "по заказам")):
        refused = env.client.put(
            SETTINGS,
            json={"settings": [{"type": type_, "channel": c, "enabled": False} for c in channels]},
            headers=auth(token),
        )
        error = assert_error(refused, 422, "notification_required")
        assert title in error["message"]
    assert _enabled(env.client.get(SETTINGS, headers=auth(token)).json())[("account", "sms")]
    unknown = env.client.put(
        SETTINGS,
        json={"settings": [{"type": "spam", "channel": "sms", "enabled": False}]},
        headers=auth(token),
    )
    assert unknown.status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_staff_have_no_settings_of_their_own(env: ChatEnv, role: str) -> None:
    _, token = env.operator(roles=(role,))
    assert_error(env.client.get(SETTINGS, headers=auth(token)), 403, "customer_only")
    put = env.client.put(SETTINGS, json={"settings": []}, headers=auth(token))
    assert_error(put, 403, "customer_only")


def test_a_visitor_and_nobody_have_no_settings(env: ChatEnv) -> None:
    visitor = env.visitor()
    assert_error(env.client.get(SETTINGS, headers=auth(visitor)), 403, "customer_only")
    assert env.client.get(SETTINGS).status_code == 401


def _withdraw(env: ChatEnv, customer_id: int, token: str) -> None:
    async def fund(session: Any) -> None:
        session.add(
            BalanceEntry(
                customer_id=customer_id,
                kind="rubles",
                amount=50_000,
                source="refund",
                created_at=utcnow() - timedelta(days=1),
            )
        )
        await session.commit()

    env.run(fund)
    response = env.client.post(
        "/api/v1/me/balance/withdraw",
        json={
            "amount": "150",
            "recipient": "Иванов Иван",
            "bik": "049805746",
            "account": "40602810700000000025",
        },
        headers=auth(token),
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("role", ROLES)
def test_staff_read_the_card_settings_and_the_log_without_secrets(env: ChatEnv, role: str) -> None:
    customer_id, token, phone = _customer(env, email="card@example.ru")
    asked = env.client.post("/api/v1/auth/phone/code", json={"phone": phone})
    assert asked.status_code == 200
    code = env.sms_code(phone)
    assert code is not None
    _withdraw(env, customer_id, token)
    env.client.put(
        SETTINGS,
        json={"settings": [{"type": "marketing", "channel": "email", "enabled": False}]},
        headers=auth(token),
    )

    _, staff = env.operator(roles=(role,))
    card = env.client.get(
        f"/api/v1/customers/{customer_id}/notification-settings", headers=auth(staff)
    )
    assert card.status_code == 200, card.text
    assert _enabled(card.json())[("marketing", "email")] is False

    log = env.client.get(f"/api/v1/customers/{customer_id}/notifications", headers=auth(staff))
    assert log.status_code == 200, log.text
    entries = log.json()["notifications"]
    by_event = {(e["event"], e["channel"]): e for e in entries}
    login = by_event[("login_code", "sms")]
    assert login["status"] == "sent" and login["template"] == "account/login_code.sms"
    assert login["sent_at"] is not None and login["type"] == "account"
    withdrawal = by_event[("withdrawal_created", "email")]
    assert withdrawal["sender"] == "mailer@ozon.ru"
    assert withdrawal["status"] == "queued"  # no SMTP server in this test
    assert ("withdrawal_created", "sms") in by_event
    assert code not in log.text
    assert phone not in log.text and "card@example.ru" not in log.text
    assert "idempotency" not in log.text and "body" not in log.json()["notifications"][0]


def test_customers_and_visitors_do_not_read_cards(env: ChatEnv) -> None:
    customer_id, token, _ = _customer(env)
    visitor = env.visitor()
    for who in (token, visitor):
        for path in ("notifications", "notification-settings"):
            response = env.client.get(f"/api/v1/customers/{customer_id}/{path}", headers=auth(who))
            assert_error(response, 403, "forbidden")
    assert env.client.get(f"/api/v1/customers/{customer_id}/notifications").status_code == 401
    _, staff = env.operator()
    missing = env.client.get("/api/v1/customers/99999999/notifications", headers=auth(staff))
    assert_error(missing, 404, "customer_not_found")


def test_the_unsubscribe_link_needs_no_login(env: ChatEnv) -> None:
    customer_id, token, _ = _customer(env)
    secret = env.client.app.state.settings.hashing_secret()  # type: ignore[attr-defined]
    good = unsubscribe_token(secret, customer_id, "marketing")
    path = "/api/v1/notifications/unsubscribe"
    page = env.client.get(path, params={"token": good})
    assert page.status_code == 200 and "Отписаться" in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    # opening the page changes nothing (mail scanners follow links)
    assert _enabled(env.client.get(SETTINGS, headers=auth(token)).json())[("marketing", "email")]
    done = env.client.post(
        path,
        params={"token": good},
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    assert "отписались" in done.json()["message"]
    after = _enabled(env.client.get(SETTINGS, headers=auth(token)).json())
    assert not any(after[("marketing", c)] for c in ("sms", "push", "center", "email", "vk"))
    tampered = good[:-2] + ("ff" if good.endswith("00") else "00")  # (never the same mac)
    for bad in (tampered, f"{customer_id}.account.{good.rsplit('.', 1)[1]}", "x"):
        assert_error(env.client.post(path, params={"token": bad}), 422, "invalid_unsubscribe_link")
    account = unsubscribe_token(secret, customer_id, "account")  # a mandatory type: no link
    assert_error(env.client.post(path, params={"token": account}), 422, "invalid_unsubscribe_link")


def test_a_withdrawal_raises_its_notification_in_the_same_transaction(env: ChatEnv) -> None:
    customer_id, token, _ = _customer(env)
    _withdraw(env, customer_id, token)

    async def rows(session: Any) -> list[Notification]:
        query = select(Notification).where(Notification.customer_id == customer_id)
        return list(await session.scalars(query))

    found = env.run(rows)  # no e-mail address: SMS and the notification centre
    assert sorted((n.event, n.channel) for n in found) == [
        ("withdrawal_created", "center"),
        ("withdrawal_created", "sms"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_supervisors_see_failure_rates_per_channel(env: ChatEnv, role: str) -> None:
    _customer(env)
    _, staff = env.operator(roles=(role,))
    response = env.client.get("/api/v1/notifications/stats", headers=auth(staff))
    if role in ("operator", "backoffice"):
        assert_error(response, 403, "forbidden")
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hours"] == 24
    for item in body["channels"]:
        assert item["channel"] in ("sms", "email", "push", "center")
        assert item["total"] == sum(item["by_status"].values())
        assert 0 <= item["failure_rate"] <= 1


def test_customers_do_not_see_channel_stats(env: ChatEnv) -> None:
    _, token, _ = _customer(env)
    response = env.client.get("/api/v1/notifications/stats", headers=auth(token))
    assert_error(response, 403, "forbidden")


def test_an_activated_certificate_raises_its_notification(env: ChatEnv) -> None:
    from marketdesk.services.certificates import issue_certificate

    customer_id, token, phone = _customer(env)
    secret = env.client.app.state.settings.hashing_secret()  # type: ignore[attr-defined]

    async def issue(session: Any) -> str:
        issued = await issue_certificate(
            session, nominal_rub=1000, kind="electronic", secret=secret, sms_to=phone
        )
        return issued.code

    code = env.run(issue)
    activated = env.client.post(
        "/api/v1/me/certificates/activate", json={"code": code}, headers=auth(token)
    )
    assert activated.status_code == 200, activated.text

    async def rows(session: Any) -> list[tuple[str, str]]:
        query = (
            select(Notification.event, Notification.channel)
            .where(Notification.customer_id == customer_id)
            .order_by(Notification.id)
        )
        return [tuple(r) for r in await session.execute(query)]

    # issued to the customer's phone (linked to them), then activated by them: the code only
    # by SMS, the activation on the account's channels (the centre too)
    assert env.run(rows) == [
        ("certificate_issued", "sms"),
        ("certificate_activated", "center"),
        ("certificate_activated", "sms"),
    ]
