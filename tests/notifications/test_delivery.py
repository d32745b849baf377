"""The outbox against real servers: the HTTP SMS gateway and an SMTP server (aiosmtpd).
Written in the caller's transaction, delivered after; retries, dead letters, secrets wiped,
quiet hours, the one-click unsubscribe."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from marketdesk.channels.email import SmtpConfig, SmtpEmailSender
from marketdesk.channels.sms import HttpSmsGateway
from marketdesk.domain.notifications import NotificationChannel
from marketdesk.services import notifications
from marketdesk.services.errors import InvalidUnsubscribeLink
from marketdesk.settings import Settings
from marketdesk.store.models import Customer, Notification, utcnow
from tests.notifications.conftest import Db
from tests.notifications.servers import sms_gateway, smtp_sink

SECRET = b"test-secret"
POLICY = dataclasses.replace(
    notifications.NotifyPolicy.from_settings(Settings(data_dir="/tmp/unused")),
    channels=frozenset({NotificationChannel.SMS, NotificationChannel.EMAIL}),
    max_attempts=3,
    backoff_base=5,
    backoff_cap=60,
    public_url="https://support.example",
)
_ids = itertools.count(91_000_001)


def _customer(db: Db, *, email: str | None = None, tz: str = "Europe/Moscow") -> Customer:
    customer_id = next(_ids)

    async def work(session: Any) -> Customer:
        customer = Customer(
            id=customer_id,
            full_name=f"Покупатель {customer_id}",
            registered_on=date(2024, 1, 1),
            phone=f"+7997{customer_id % 10**7:07d}",
            email=email or f"c{customer_id}@example.ru",
            timezone=tz,
        )
        session.add(customer)
        await session.commit()
        return customer

    return db.run(work)  # type: ignore[no-any-return]


def _notify(db: Db, *, commit: bool = True, **kwargs: Any) -> list[int]:
    async def work(session: Any) -> list[int]:
        rows = await notifications.notify(session, policy=POLICY, **kwargs)
        await session.flush()
        ids = [row.id for row in rows]
        await (session.commit() if commit else session.rollback())
        return ids

    return db.run(work)  # type: ignore[no-any-return]


def _deliver(db: Db, senders: dict[str, Any], now: datetime | None = None) -> int:
    async def work(session: Any) -> int:
        return await notifications.deliver_due(
            session, senders, secret=SECRET, policy=POLICY, now=now
        )

    return db.run(work)  # type: ignore[no-any-return]


def _rows(db: Db, ids: list[int]) -> list[Notification]:
    async def work(session: Any) -> list[Notification]:
        query = select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
        return list(await session.scalars(query))

    return db.run(work)  # type: ignore[no-any-return]


def test_an_sms_goes_to_the_http_gateway_once_with_its_key(db: Db) -> None:
    customer = _customer(db)
    with sms_gateway() as gateway:
        ids = _notify(
            db,
            event="withdrawal_created",
            data={"amount": "150.50"},
            idempotency_key=f"w:{customer.id}",
            customer_id=customer.id,
        )
        assert len(ids) == 2  # account: SMS and e-mail by default; e-mail has no sender here
        sender = HttpSmsGateway(gateway.url)
        assert _deliver(db, {"sms": sender}) == 1
        assert _deliver(db, {"sms": sender}) == 0
    [request] = gateway.requests
    assert request.json() == {
        "phone": customer.phone,
        "text": "Заявка на вывод 150.50 ₽ с Баланса принята.",
    }
    sms, email = sorted(_rows(db, ids), key=lambda r: r.channel != "sms")
    assert request.headers["idempotency-key"] == sms.idempotency_key
    assert (sms.status, sms.attempts, sms.template) == (
        "sent",
        1,
        "account/withdrawal_created.sms",
    )
    assert (email.status, email.sender) == ("queued", "mailer@ozon.ru")


def test_the_body_template_and_auth_header_are_configurable(db: Db) -> None:
    customer = _customer(db)
    with sms_gateway() as gateway:
        _notify(
            db,
            event="login_code",
            data={"code": "314159"},
            idempotency_key=f"t:{customer.id}",
            customer_id=customer.id,
            to=notifications.Recipient(NotificationChannel.SMS, customer.phone or ""),
        )
        sender = HttpSmsGateway(
            gateway.url,
            body_template='{"to": "$phone", "msg": "$text", "ref": "$id", "sender": "MP"}',
            auth_header="Authorization: Bearer k-123",
        )
        assert _deliver(db, {"sms": sender}) == 1
    [request] = gateway.requests
    body = request.json()
    assert body["to"] == customer.phone and "314159" in body["msg"]
    assert body["ref"] == request.headers["idempotency-key"] and body["sender"] == "MP"
    assert request.headers["authorization"] == "Bearer k-123"


def test_retries_back_off_then_a_dead_letter_with_the_reason(db: Db) -> None:
    customer = _customer(db)
    start = utcnow()
    with sms_gateway() as gateway:
        gateway.answers = [503, 503, 503]
        [row_id] = _notify(
            db,
            event="certificate_issued",
            data={"code": "AAAA-BBBB-CCCC-DDDD", "nominal": 1000},
            idempotency_key=f"r:{customer.id}",
            to=notifications.Recipient(NotificationChannel.SMS, customer.phone or ""),
            now=start,
        )
        sender = HttpSmsGateway(gateway.url)
        assert _deliver(db, {"sms": sender}, start) == 0
        [row] = _rows(db, [row_id])
        assert (row.status, row.attempts) == ("queued", 1) and "503" in (row.error or "")
        assert row.next_attempt_at is not None
        pause = (row.next_attempt_at - start).total_seconds()
        # the first pause: base × (1 + jitter), counted from when the try ended (the real
        # clock, a moment after ``start`` on a busy machine)
        assert 5 <= pause < 11
        assert _deliver(db, {"sms": sender}, start + timedelta(seconds=1)) == 0  # not yet due
        assert len(gateway.requests) == 1
        assert _deliver(db, {"sms": sender}, start + timedelta(seconds=11)) == 0
        [row] = _rows(db, [row_id])
        assert row.attempts == 2 and (row.next_attempt_at - row.created_at).total_seconds() >= 10
        assert _deliver(db, {"sms": sender}, start + timedelta(minutes=5)) == 0
    [row] = _rows(db, [row_id])
    assert (row.status, row.attempts, row.body) == ("failed", 3, None)  # the code is gone
    assert "503" in (row.error or "") and row.failed_at is not None
    assert len(gateway.requests) == 3
    keys = {r.headers["idempotency-key"] for r in gateway.requests}
    assert keys == {row.idempotency_key}  # every try with the same key


def test_a_refusal_fails_at_once(db: Db) -> None:
    customer = _customer(db)
    with sms_gateway() as gateway:
        gateway.answers = [400]
        [row_id] = _notify(
            db,
            event="login_code",
            data={"code": "000111"},
            idempotency_key=f"x:{customer.id}",
            to=notifications.Recipient(NotificationChannel.SMS, customer.phone or ""),
        )
        assert _deliver(db, {"sms": HttpSmsGateway(gateway.url)}) == 0
    [row] = _rows(db, [row_id])
    assert (row.status, row.attempts, row.body) == ("failed", 1, None)
    assert "DeliveryRefused" in (row.error or "")


def test_nothing_is_written_when_the_event_rolls_back_and_keys_are_idempotent(db: Db) -> None:
    customer = _customer(db)
    key = f"i:{customer.id}"
    common = {
        "event": "certificate_activated",
        "data": {"nominal": 500},
        "idempotency_key": key,
        "customer_id": customer.id,
    }
    rolled = _notify(db, commit=False, **common)
    assert rolled and _rows(db, rolled) == []
    first = _notify(db, **common)
    again = _notify(db, **common)
    assert first == again and len(first) == 2


def _from(letter: EmailMessage) -> tuple[str, str]:
    [address] = letter["From"].addresses
    return address.display_name, address.addr_spec


def _letters_to(sink: Any, address: str) -> list[EmailMessage]:
    return [m for m in sink.messages if m["To"] == address]


def test_an_email_through_smtp_with_russian_headers_and_one_click_unsubscribe(db: Db) -> None:
    customer = _customer(db, email="ivan@example.ru")
    at_noon = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    with smtp_sink() as sink:
        sender = SmtpEmailSender(SmtpConfig.from_url(f"smtp://127.0.0.1:{sink.port}"))
        ids = _notify(
            db,
            event="promotion",
            data={"title": "Распродажа выходного дня", "text": "Скидки до 50% на всё."},
            idempotency_key=f"p:{customer.id}",
            customer_id=customer.id,
            now=at_noon,
        )
        assert [r.channel for r in _rows(db, ids)] == ["email"]  # push: no adapter here
        assert _deliver(db, {"email": sender}) >= 1  # and what earlier tests left queued
    [letter] = _letters_to(sink, "ivan@example.ru")
    assert _from(letter) == ("OZON.RU", "news@news.ozon.ru")
    assert letter["Subject"] == "Распродажа выходного дня"
    assert letter.get_content().startswith("Здравствуйте!")
    assert "Скидки до 50% на всё." in letter.get_content()
    assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = letter["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://support.example/api/v1/notifications/unsubscribe?token=")
    assert letter["Message-ID"].endswith("@news.ozon.ru>")

    token = parse_qs(urlsplit(link).query)["token"][0]

    async def unsubscribe(session: Any, value: str) -> Any:
        return await notifications.unsubscribe(session, value, secret=SECRET)

    with pytest.raises(InvalidUnsubscribeLink):
        db.run(lambda s: unsubscribe(s, token[:-1] + ("0" if token[-1] != "0" else "1")))
    assert "отписались" in db.run(lambda s: unsubscribe(s, token)).message
    after = _notify(
        db,
        event="promotion",
        data={"title": "Ещё акция", "text": "…"},
        idempotency_key=f"p2:{customer.id}",
        customer_id=customer.id,
        now=at_noon,
    )
    assert after == []  # marketing is off on every channel


def test_the_login_code_email_has_no_unsubscribe_and_comes_from_mailer(db: Db) -> None:
    customer = _customer(db, email="olga@example.ru")
    with smtp_sink() as sink:
        sender = SmtpEmailSender(SmtpConfig(host="127.0.0.1", port=sink.port))
        _notify(
            db,
            event="withdrawal_created",
            data={"amount": "100"},
            idempotency_key=f"m:{customer.id}",
            customer_id=customer.id,
        )
        assert _deliver(db, {"email": sender}) >= 1
    [letter] = _letters_to(sink, "olga@example.ru")
    assert _from(letter) == ("OZON.RU", "mailer@ozon.ru")
    assert letter["List-Unsubscribe"] is None
    assert letter["Subject"] == "Заявка на вывод денег принята"


def test_quiet_hours_hold_marketing_until_morning_in_the_customer_zone(db: Db) -> None:
    customer = _customer(db, tz="Asia/Vladivostok")  # UTC+10
    night = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)  # 23:30 in Vladivostok
    [row_id] = _notify(
        db,
        event="promotion",
        data={"title": "Акция", "text": "Скидки"},
        idempotency_key=f"q:{customer.id}",
        customer_id=customer.id,
        now=night,
    )
    [row] = _rows(db, [row_id])
    assert row.next_attempt_at == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 09:00 local
    with smtp_sink() as sink:
        sender = SmtpEmailSender(SmtpConfig(host="127.0.0.1", port=sink.port))
        _deliver(db, {"email": sender}, night + timedelta(hours=9))
        assert _rows(db, [row_id])[0].status == "queued"
        _deliver(db, {"email": sender}, night + timedelta(hours=9, minutes=31))
        assert _rows(db, [row_id])[0].status == "sent"
    # urgent types (a withdrawal) go at once, at night too
    [sms_id, _] = sorted(
        _notify(
            db,
            event="withdrawal_created",
            data={"amount": "1"},
            idempotency_key=f"q2:{customer.id}",
            customer_id=customer.id,
            now=night,
        )
    )
    assert all(r.next_attempt_at is None for r in _rows(db, [sms_id]))


def test_a_broken_template_is_logged_as_failed_not_lost(db: Db, tmp_path: Any) -> None:
    customer = _customer(db)
    (tmp_path / "account").mkdir()
    (tmp_path / "account" / "withdrawal_created.sms.txt").write_text("$nope", encoding="utf-8")

    async def work(session: Any) -> list[int]:
        policy = dataclasses.replace(POLICY, templates_dir=tmp_path)
        rows = await notifications.notify(
            session,
            event="withdrawal_created",
            data={"amount": "5"},
            idempotency_key=f"b:{customer.id}",
            customer_id=customer.id,
            policy=policy,
        )
        await session.commit()
        return [r.id for r in rows]

    rows = _rows(db, db.run(work))
    assert {(r.channel, r.status) for r in rows} == {("sms", "failed"), ("email", "failed")}
    assert all("шаблон" in (r.error or "") for r in rows)


def test_the_default_sms_body_is_json_even_with_quotes(db: Db) -> None:
    sender = HttpSmsGateway("http://127.0.0.1:9/unused")
    message = notifications.OutgoingNotification(
        id=1,
        type="account",
        event="login_code",
        channel="sms",
        address="+79990000000",
        sender=None,
        subject=None,
        body='Код "12" \\ ok\nещё',
        idempotency_key="k",
    )
    assert json.loads(sender.body(message)) == {
        "phone": "+79990000000",
        "text": 'Код "12" \\ ok\nещё',
    }


def test_failure_rates_count_dead_letters(db: Db) -> None:
    from marketdesk.services.principals import Principal

    supervisor = Principal(kind="operator", id=1, roles=frozenset({"supervisor"}))

    async def stats(session: Any) -> dict[str, Any]:
        rows = await notifications.channel_stats(session, supervisor)
        return {row.channel: row for row in rows}

    customer = _customer(db)
    with sms_gateway() as gateway:
        # what earlier tests of the module left due goes first (their rows come first in a
        # round, and one of them would take the refusal meant for this test's message)
        while _deliver(db, {"sms": HttpSmsGateway(gateway.url)}):
            pass
        before = db.run(stats).get("sms")
        gateway.answers = [400]
        ids = _notify(
            db,
            event="login_code",
            data={"code": "222333"},
            idempotency_key=f"s:{customer.id}",
            to=notifications.Recipient(NotificationChannel.SMS, customer.phone or ""),
        )
        _deliver(db, {"sms": HttpSmsGateway(gateway.url)})
    assert [row.status for row in _rows(db, ids)] == ["failed"]
    after = db.run(stats)["sms"]
    failed_before = before.by_status.get("failed", 0) if before else 0
    assert after.by_status["failed"] == failed_before + 1
    assert 0 < after.failure_rate <= 1
