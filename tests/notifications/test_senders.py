"""The official senders are one setting (``MARKETDESK_OFFICIAL_SENDERS``): the outbox sends
from it and the phishing check answers from it; «это наше письмо» only when the sender, a
forwarded e-mail's DKIM-relevant headers and the content agree."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from typing import Any

import pytest
from pydantic import ValidationError

from marketdesk.domain.notifications import NotificationChannel
from marketdesk.domain.phishing import PhishingReasonCode as R
from marketdesk.domain.phishing import PhishingVerdict as V
from marketdesk.domain.phishing import check_message
from marketdesk.domain.senders import DEFAULT_SENDERS, SenderRole, parse_senders
from marketdesk.services import notifications
from marketdesk.settings import Settings
from marketdesk.store.models import Customer
from tests.chat.conftest import ChatEnv
from tests.notifications.conftest import Db

CUSTOM = "notifications=info@mail.ozon.ru; marketing=promo@news.ozon.ru; receipts=check@ozon.ru"
SIGNED = "v=1; a=rsa-sha256; d=ozon.ru; s=mail; h=from:to:subject:date; bh=x; b=y"
GOOD = {
    "From": "OZON <mailer@ozon.ru>",
    "Return-Path": "<bounce@ozon.ru>",
    "Authentication-Results": "mx.example.ru; dkim=pass header.d=ozon.ru header.s=mail; spf=pass",
    "DKIM-Signature": SIGNED,
}
DELIVERY = "Ваш заказ 58561573-0011 доставлен в пункт выдачи. Срок хранения — 7 дней."


def test_the_setting_is_parsed_and_checked() -> None:
    senders = parse_senders(CUSTOM)
    assert senders.address(SenderRole.MARKETING) == "promo@news.ozon.ru"
    assert Settings(official_senders=CUSTOM).official_sender_list() == senders
    assert Settings().official_sender_list() == DEFAULT_SENDERS
    for bad in (
        "notifications=mailer@ozon.ru",  # roles missing
        "notifications=mailer@ozon.ru; marketing=news; receipts=noreply@ozon.ru",
        "boss=a@ozon.ru; " + CUSTOM,
        CUSTOM + "; receipts=other@ozon.ru",
    ):
        with pytest.raises(ValueError):
            parse_senders(bad)
        with pytest.raises(ValidationError):
            Settings(official_senders=bad)


def test_the_outbox_sends_from_the_configured_addresses(db: Db) -> None:
    policy = dataclasses.replace(
        notifications.NotifyPolicy.from_settings(Settings(data_dir="/tmp/unused")),
        channels=frozenset({NotificationChannel.EMAIL}),
        quiet_start=time(0),
        quiet_end=time(0),
        senders=parse_senders(CUSTOM),
    )

    async def work(session: Any) -> list[str | None]:
        session.add(
            Customer(
                id=94_000_001,
                full_name="Покупатель",
                registered_on=date(2024, 1, 1),
                email="buyer@example.ru",
            )
        )
        await session.flush()
        senders = []
        for event, data in (
            ("promotion", {"title": "Скидки", "text": "Неделя техники"}),
            ("order_receipt", {"order": "94000001-0001", "amount": "100"}),
            ("certificate_activated", {"nominal": "1000"}),
        ):
            rows = await notifications.notify(
                session,
                event=event,
                data=data,
                idempotency_key=f"senders-{event}",
                customer_id=94_000_001,
                policy=policy,
            )
            senders += [row.sender for row in rows]
        await session.commit()
        return senders

    assert db.run(work) == ["promo@news.ozon.ru", "check@ozon.ru", "info@mail.ozon.ru"]


def test_the_phishing_check_answers_from_the_same_list() -> None:
    custom = parse_senders(CUSTOM)
    ours = check_message(sender="promo@news.ozon.ru", link=None, text="", senders=custom)
    assert ours.verdict is V.OFFICIAL and ours.codes[0] is R.OFFICIAL_SENDER
    assert "рассылка с акциями" in ours.reasons[0].message_ru
    stranger = check_message(sender="mailer@mail.example", link=None, text="", senders=custom)
    assert "info@mail.ozon.ru, promo@news.ozon.ru, check@ozon.ru" in stranger.reasons[0].message_ru


def test_a_letter_is_ours_when_sender_dkim_and_content_agree() -> None:
    report = check_message(sender="mailer@ozon.ru", link=None, text=DELIVERY, headers=GOOD)
    assert report.verdict is V.OFFICIAL, report
    assert R.DKIM_PASS in report.codes
    # the headers alone name the sender
    alone = check_message(sender=None, link=None, text=DELIVERY, headers=GOOD)
    assert alone.verdict is V.OFFICIAL and alone.codes[0] is R.OFFICIAL_SENDER
    # news@news.ozon.ru signed by its own subdomain or by ozon.ru: aligned
    promo = {**GOOD, "From": "news@news.ozon.ru"}
    for domain in ("news.ozon.ru", "ozon.ru"):
        results = f"mx; dkim=pass header.d={domain}"
        headers = {**promo, "Authentication-Results": results}
        got = check_message(sender=None, link=None, text="Скидки недели", headers=headers)
        assert got.verdict is V.OFFICIAL, (domain, got)


@pytest.mark.parametrize(
    ("change", "verdict", "code"),
    [
        ({"Authentication-Results": "mx; dkim=fail header.d=ozon.ru"}, V.SUSPICIOUS, R.DKIM_FAILED),
        ({"Authentication-Results": "mx; dkim=none"}, V.SUSPICIOUS, R.DKIM_FAILED),
        (
            {"Authentication-Results": "mx; dkim=pass header.d=ozon-mail.xyz"},
            V.FRAUD,
            R.DKIM_MISALIGNED,
        ),
        (
            {"Authentication-Results": "mx; dkim=pass header.d=mailgun.org"},
            V.SUSPICIOUS,
            R.DKIM_MISALIGNED,
        ),
        ({"From": "OZON <mailer@0zon-support.ru>"}, V.FRAUD, R.HEADER_FROM_MISMATCH),
        ({"Return-Path": "<x@ozon-bounce.top>"}, V.FRAUD, R.LOOKALIKE_SENDER),
        (
            {"DKIM-Signature": SIGNED.replace("h=from:", "h=")},
            V.SUSPICIOUS,
            R.DKIM_FAILED,
        ),
        ({"Authentication-Results": None, "DKIM-Signature": None}, V.SUSPICIOUS, R.DKIM_MISSING),
        ({"Authentication-Results": None}, V.SUSPICIOUS, R.DKIM_FAILED),
    ],
)
def test_headers_that_disagree_are_not_ours(
    change: dict[str, str | None], verdict: V, code: R
) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    report = check_message(sender="mailer@ozon.ru", link=None, text=DELIVERY, headers=headers)
    assert report.verdict is verdict, report
    assert code in report.codes
    assert all(r.message_ru for r in report.reasons)


def test_content_must_agree_too() -> None:
    text = "Ваш заказ задержан: оплатите доставку по ссылке ozon-dostavka.top"
    report = check_message(sender="mailer@ozon.ru", link=None, text=text, headers=GOOD)
    assert report.verdict is V.FRAUD and R.DKIM_PASS in report.codes
    discount = check_message(
        sender="noreply@ozon.ru", link=None, text="Купите айфон со скидкой 70%", headers=GOOD
    )
    assert discount.verdict is not V.OFFICIAL  # a receipts address does not sell


def test_garbage_headers_never_raise() -> None:
    for headers in ({"From": "\x00" * 10_000}, {"Authentication-Results": "dkim="}, {1: 2}, "x"):
        report = check_message(
            sender="mailer@ozon.ru",
            link=None,
            text=DELIVERY,
            headers=headers,  # type: ignore[arg-type]
        )
        assert report.verdict in (V.SUSPICIOUS, V.FRAUD)


def test_the_api_takes_the_headers(env: ChatEnv) -> None:
    body = {"sender": "mailer@ozon.ru", "text": DELIVERY, "headers": GOOD}
    ours = env.client.post("/api/v1/phishing/check", json=body)
    assert ours.status_code == 200, ours.text
    assert ours.json()["verdict"] == "official"
    forged = {**body, "headers": {**GOOD, "Authentication-Results": "mx; dkim=fail"}}
    answer = env.client.post("/api/v1/phishing/check", json=forged).json()
    assert answer["verdict"] == "suspicious"
    assert "dkim_failed" in [r["code"] for r in answer["reasons"]]
