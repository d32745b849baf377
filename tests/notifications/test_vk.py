"""VK as a notification channel: ``messages.send`` to the peer the customer writes to the
community from (their VK contact), against the local fake VK API (tests/channels/fake_apis.py),
with ``random_id`` derived from the notification's idempotency key: a retry after a crash is
dropped by VK, a refusal for good fails the notification, anything else is retried."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from marketdesk.channels.senders import notification_senders
from marketdesk.channels.vk import VkConfig, VkNotificationSender, random_id
from marketdesk.domain.channels import Channel
from marketdesk.domain.notifications import NotificationChannel
from marketdesk.services import notifications
from marketdesk.services.channels.contacts import link_by_phone
from marketdesk.services.notifications import SettingItem, change_settings
from marketdesk.services.principals import Principal
from marketdesk.settings import Settings
from marketdesk.store.models import Customer, Notification, utcnow
from tests.channels.fake_apis import FakeVk
from tests.notifications.conftest import Db

SECRET = b"test-secret"
VK_TOKEN = "vk-notify-token"
POLICY = dataclasses.replace(
    notifications.NotifyPolicy.from_settings(Settings(data_dir="/tmp/unused")),
    channels=frozenset({NotificationChannel.SMS, NotificationChannel.VK}),
    max_attempts=3,
)
_ids = itertools.count(93_000_001)
_peers = itertools.count(700_001)


@pytest.fixture(scope="module")
def fake_vk() -> Iterator[FakeVk]:
    server = FakeVk(VK_TOKEN, 4242)
    yield server
    server.close()


def _sender(fake: FakeVk) -> VkNotificationSender:
    return VkNotificationSender(
        VkConfig(token=VK_TOKEN, secret=None, confirmation=None, api=fake.url)
    )


def _customer(db: Db, *, vk: bool = True, vk_on: bool = True) -> tuple[int, int]:
    """A customer who wrote to the community from VK (linked by their phone) and turned VK
    on for orders: (customer, peer id)."""
    customer_id, peer = next(_ids), next(_peers)
    phone = f"+7994{customer_id % 10**7:07d}"

    async def work(session: Any) -> None:
        session.add(
            Customer(
                id=customer_id,
                full_name=f"Покупатель {customer_id}",
                registered_on=date(2024, 1, 1),
                phone=phone,
            )
        )
        await session.commit()
        if vk:
            assert (
                await link_by_phone(session, Channel.VK, str(peer), phone, linked_by="phone")
                == customer_id
            )
        if vk_on:
            on = SettingItem(type="orders", channel="vk", enabled=True)  # type: ignore[arg-type]
            await change_settings(session, Principal("customer", customer_id, ""), [on])

    db.run(work)
    return customer_id, peer


def _order_changed(db: Db, customer_id: int) -> list[Notification]:
    async def work(session: Any) -> list[Notification]:
        rows = await notifications.notify(
            session,
            event="order_status_changed",
            data={"order": "12345678-0042", "status_title": "Передан в доставку"},
            idempotency_key=f"vk-order:{customer_id}",
            customer_id=customer_id,
            policy=POLICY,
        )
        await session.commit()
        return rows

    return db.run(work)  # type: ignore[no-any-return]


def _deliver(db: Db, fake: FakeVk, *, later: timedelta = timedelta(0)) -> int:
    async def work(session: Any) -> int:
        return await notifications.deliver_due(
            session, {"vk": _sender(fake)}, secret=SECRET, policy=POLICY, now=utcnow() + later
        )

    return db.run(work)  # type: ignore[no-any-return]


def _vk_row(db: Db, customer_id: int) -> Notification:
    async def work(session: Any) -> Notification:
        return (
            await session.scalars(
                select(Notification).where(
                    Notification.customer_id == customer_id, Notification.channel == "vk"
                )
            )
        ).one()

    return db.run(work)  # type: ignore[no-any-return]


def test_a_notification_goes_to_the_customers_vk_once(db: Db, fake_vk: FakeVk) -> None:
    customer_id, peer = _customer(db)
    rows = _order_changed(db, customer_id)
    assert {r.channel for r in rows} == {"sms", "vk"}
    row = _vk_row(db, customer_id)
    assert (row.address, row.template) == (str(peer), "orders/order_status_changed.sms")

    assert _deliver(db, fake_vk) == 1
    [call] = fake_vk.deliveries(peer)
    assert call.params["message"] == "Заказ 12345678-0042: Передан в доставку."
    assert call.params["random_id"] == str(random_id(f"notification:{row.idempotency_key}"))
    sent = _vk_row(db, customer_id)
    assert sent.status == "sent" and sent.attempts == 1
    assert sent.provider_id == str(fake_vk.sent[(str(peer), call.params["random_id"])])

    # a worker killed after the send, before its record: the claim runs out and another
    # worker sends again with the same random_id; VK drops the repeat
    async def as_if_killed(session: Any) -> None:
        await session.execute(
            update(Notification)
            .where(Notification.id == sent.id)
            .values(status="queued", next_attempt_at=None, sent_at=None)
        )
        await session.commit()

    db.run(as_if_killed)
    assert _deliver(db, fake_vk) == 1
    assert len(fake_vk.called("messages.send", peer_id=str(peer))) == 2
    assert len(fake_vk.deliveries(peer)) == 1


def test_a_refusal_for_good_fails_at_once_with_the_reason(db: Db, fake_vk: FakeVk) -> None:
    customer_id, peer = _customer(db)
    fake_vk.blocked.add(peer)  # the customer forbade the community's messages (901)
    try:
        _order_changed(db, customer_id)
        assert _deliver(db, fake_vk) == 0
    finally:
        fake_vk.blocked.discard(peer)
    row = _vk_row(db, customer_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.error is not None and "901" in row.error and row.next_attempt_at is None
    assert [key for key in fake_vk.sent if key[0] == str(peer)] == []  # VK sent nothing


def test_an_unreachable_vk_is_retried_with_backoff(db: Db, fake_vk: FakeVk) -> None:
    customer_id, peer = _customer(db)
    _order_changed(db, customer_id)
    fake_vk.down()
    try:
        assert _deliver(db, fake_vk) == 0
    finally:
        fake_vk.up()
    waiting = _vk_row(db, customer_id)
    assert waiting.status == "queued" and waiting.error and waiting.next_attempt_at is not None
    assert _deliver(db, fake_vk) == 0  # not due yet
    assert _deliver(db, fake_vk, later=timedelta(hours=2)) == 1
    assert len(fake_vk.deliveries(peer)) == 1
    assert _vk_row(db, customer_id).status == "sent"


def test_vk_only_for_a_customer_with_a_vk_contact_who_chose_it(db: Db) -> None:
    no_contact, _ = _customer(db, vk=False)
    assert {r.channel for r in _order_changed(db, no_contact)} == {"sms"}
    not_chosen, _ = _customer(db, vk_on=False)  # VK is not among the orders' defaults
    assert {r.channel for r in _order_changed(db, not_chosen)} == {"sms"}


def test_vk_is_a_channel_only_when_the_community_is_configured(tmp_path: Any) -> None:
    plain = Settings(data_dir=tmp_path)
    assert NotificationChannel.VK not in notifications.NotifyPolicy.from_settings(plain).channels
    assert "vk" not in notification_senders(plain)
    with_vk = Settings(data_dir=tmp_path, vk_token=VK_TOKEN)
    assert NotificationChannel.VK in notifications.NotifyPolicy.from_settings(with_vk).channels
    assert isinstance(notification_senders(with_vk)["vk"], VkNotificationSender)
    off = Settings(data_dir=tmp_path, vk_token=VK_TOKEN, notify_channels="sms,email")
    assert "vk" not in notification_senders(off)
