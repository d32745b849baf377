"""Web Push against a local push service: the request is decrypted here with the
subscription's private key (RFC 8291, aes128gcm) and its VAPID header checked (RFC 8292);
browsers the push service no longer knows are forgotten; the keys come from the environment
or are generated once into the data dir."""

from __future__ import annotations

import dataclasses
import itertools
import json
import stat
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.channels.push import WebPushSender
from marketdesk.domain.notifications import NotificationChannel
from marketdesk.services import notifications
from marketdesk.services.notifications.vapid import VAPID_FILE, VapidKeys, generate_private_key
from marketdesk.settings import Settings
from marketdesk.store.models import Customer, Notification, PushSubscription
from tests.notifications.conftest import Db
from tests.notifications.servers import PushService, push_service
from tests.notifications.webpush import Browser, b64e, check_vapid

SECRET = b"test-secret"
POLICY = dataclasses.replace(
    notifications.NotifyPolicy.from_settings(Settings(data_dir="/tmp/unused")),
    channels=frozenset({NotificationChannel.PUSH, NotificationChannel.CENTER}),
    quiet_start=time(0),
    quiet_end=time(0),  # no quiet hours
    public_url="https://support.example",
)
KEYS = VapidKeys(generate_private_key(), "mailto:support@example.ru")
_ids = itertools.count(93_000_001)


def _customer(db: Db, browsers: dict[str, Browser], service: PushService) -> int:
    customer_id = next(_ids)

    async def work(session: Any) -> None:
        session.add(
            Customer(
                id=customer_id,
                full_name=f"Покупатель {customer_id}",
                registered_on=date(2024, 1, 1),
                timezone="Europe/Moscow",
            )
        )
        await session.flush()
        for name, browser in browsers.items():
            session.add(
                PushSubscription(
                    customer_id=customer_id,
                    endpoint=service.endpoint(f"{customer_id}-{name}"),
                    p256dh=browser.p256dh,
                    auth=b64e(browser.auth),
                )
            )
        await session.commit()

    db.run(work)
    return customer_id


def _promote(db: Db, customer_id: int, key: str) -> list[int]:
    async def work(session: Any) -> list[int]:
        rows = await notifications.notify(
            session,
            event="promotion",
            data={"title": "Скидки недели", "text": "До −30 % на технику"},
            idempotency_key=key,
            customer_id=customer_id,
            policy=POLICY,
        )
        await session.commit()
        return [row.id for row in rows if row.channel == "push"]

    return db.run(work)  # type: ignore[no-any-return]


def _deliver(db: Db) -> int:
    sender = WebPushSender(KEYS, ttl=3600, click_url="https://support.example/")

    async def work(session: Any) -> int:
        try:
            return await notifications.deliver_due(
                session, {"push": sender}, secret=SECRET, policy=POLICY
            )
        finally:
            await sender.aclose()

    return db.run(work)  # type: ignore[no-any-return]


def _row(db: Db, row_id: int) -> Notification:
    async def work(session: Any) -> Notification:
        return await session.get(Notification, row_id)  # type: ignore[no-any-return]

    return db.run(work)  # type: ignore[no-any-return]


def _endpoints(db: Db, customer_id: int) -> list[str]:
    async def work(session: Any) -> list[str]:
        rows = await session.scalars(
            select(PushSubscription.endpoint).where(PushSubscription.customer_id == customer_id)
        )
        return list(rows)

    return db.run(work)  # type: ignore[no-any-return]


def test_the_push_message_decrypts_with_the_subscription_key_and_carries_vapid(db: Db) -> None:
    phone, laptop = Browser(), Browser()
    with push_service() as service:
        customer_id = _customer(db, {"phone": phone, "laptop": laptop}, service)
        [row_id] = _promote(db, customer_id, f"promo-{customer_id}")
        assert _deliver(db) >= 1
        for name, browser in (("phone", phone), ("laptop", laptop)):
            [request] = service.to(f"{customer_id}-{name}")
            endpoint = service.endpoint(f"{customer_id}-{name}")
            assert request.headers["content-encoding"] == "aes128gcm"
            assert request.headers["ttl"] == "3600"
            assert request.headers["urgency"] == "normal"  # marketing is not urgent
            assert len(request.headers["topic"]) <= 32
            key, claims = check_vapid(request.headers["authorization"], endpoint)
            assert key == KEYS.public_key
            assert claims["sub"] == "mailto:support@example.ru"
            payload = json.loads(browser.decrypt(request.body))
            assert payload["title"] == "Скидки недели"
            assert payload["body"] == "До −30 % на технику"
            assert payload["url"] == "https://support.example/"
            assert payload["id"] == row_id
            # the other browser's key cannot read it
            other = laptop if browser is phone else phone
            with pytest.raises(Exception):
                other.decrypt(request.body)
    row = _row(db, row_id)
    assert row.status == "sent" and row.address == f"customer:{customer_id}"


def test_a_browser_the_push_service_forgot_is_dropped(db: Db) -> None:
    kept, gone = Browser(), Browser()
    with push_service() as service:
        customer_id = _customer(db, {"kept": kept, "gone": gone}, service)
        service.statuses[f"/push/{customer_id}-gone"] = 410
        [first] = _promote(db, customer_id, f"promo-a-{customer_id}")
        _deliver(db)
        assert _row(db, first).status == "sent"  # one browser took it
        assert _endpoints(db, customer_id) == [service.endpoint(f"{customer_id}-kept")]

        service.statuses[f"/push/{customer_id}-kept"] = 404
        [second] = _promote(db, customer_id, f"promo-b-{customer_id}")
        _deliver(db)
        row = _row(db, second)
        assert row.status == "failed" and row.error and "устарело 1" in row.error
        assert _endpoints(db, customer_id) == []
        # no browser left: push is not written for the next notification at all
        assert _promote(db, customer_id, f"promo-c-{customer_id}") == []


def test_a_push_service_error_is_retried(db: Db) -> None:
    browser = Browser()
    with push_service() as service:
        customer_id = _customer(db, {"one": browser}, service)
        service.statuses[f"/push/{customer_id}-one"] = 503
        [row_id] = _promote(db, customer_id, f"promo-r-{customer_id}")
        _deliver(db)
        row = _row(db, row_id)
        assert row.status == "queued" and row.attempts == 1 and row.error
        assert _endpoints(db, customer_id)  # a server error does not drop the browser


def test_vapid_keys_are_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_url="https://help.example.ru")
    first = notifications.vapid_keys(settings)
    path = tmp_path / "data" / VAPID_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.subject == "https://help.example.ru"
    again = notifications.vapid_keys(Settings(data_dir=tmp_path / "data"))
    assert again.public_key == first.public_key
    assert again.subject.startswith("mailto:support@")


def test_vapid_keys_from_the_environment() -> None:
    pair = VapidKeys(generate_private_key(), "")
    settings = Settings(
        data_dir="/nonexistent/never-made",
        vapid_private_key=pair.private_raw,
        vapid_public_key=pair.public_key,
        vapid_subject="mailto:push@example.ru",
    )
    keys = notifications.vapid_keys(settings)
    assert keys.public_key == pair.public_key and keys.subject == "mailto:push@example.ru"
    wrong = VapidKeys(generate_private_key(), "").public_key
    with pytest.raises(ValueError, match="does not belong"):
        notifications.vapid_keys(
            Settings(
                data_dir="/nonexistent/never-made",
                vapid_private_key=pair.private_raw,
                vapid_public_key=wrong,
            )
        )
