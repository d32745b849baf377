"""The reply letter itself: its headers, its wording, what it does not carry."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketdesk.bot.texts import HANDOFF_PERSON
from marketdesk.channels.mail.inbound import MailAddresses
from marketdesk.channels.mail.outbound import build_letter, letter_id
from marketdesk.services.channels import ChannelMessage, NotForChannel, OutboundFile
from marketdesk.services.chat.texts import (
    TEXT_ASSIGNED,
    TEXT_CLOSED,
    TEXT_REOPENED,
    TEXT_TRANSFERRED_LINE,
)

ADDRESSES = MailAddresses("help@ozon.ru", "sellersup@ozon.ru")


def _message(**overrides: object) -> ChannelMessage:
    values: dict[str, object] = {
        "delivery_id": 7,
        "message_id": 70,
        "conversation_id": 1042,
        "channel": "email",
        "address": "ivan@mail.example",
        "sender_kind": "operator",
        "sender_name": "Анна",
        "text": "Заказ передан курьеру.",
        "line": "general",
        "ticket": "1042",
        "idempotency_key": "marketdesk-delivery-7",
        "thread": ("<a@mail.example>", "<md.5.x@ozon.ru>", "<b@mail.example>"),
        "contact": {"display_name": "Иван Петров", "subject": "Где мой заказ?"},
    }
    values.update(overrides)
    return ChannelMessage(**values)  # type: ignore[arg-type]


def test_an_operators_reply_is_a_threaded_letter_signed_by_them() -> None:
    letter = build_letter(_message(), ADDRESSES)
    assert letter["Subject"] == "Re: Где мой заказ? [№ 1042]"
    assert "help@ozon.ru" in str(letter["From"])
    assert letter["To"].addresses[0].display_name == "Иван Петров"
    assert letter["In-Reply-To"] == "<b@mail.example>"
    assert str(letter["References"]).split() == [
        "<a@mail.example>",
        "<md.5.x@ozon.ru>",
        "<b@mail.example>",
    ]
    assert letter["Auto-Submitted"] is None
    body = letter.get_content()
    assert body.startswith("Заказ передан курьеру.\n\n-- \nАнна\nСлужба поддержки OZON.RU")
    # the same delivery: the same Message-ID on every try; another message: another one
    assert letter["Message-ID"] == build_letter(_message(), ADDRESSES)["Message-ID"]
    assert letter["Message-ID"] == letter_id(_message(), "ozon.ru")
    assert letter_id(_message(delivery_id=8, message_id=71), "ozon.ru") != letter["Message-ID"]


def test_a_seller_gets_the_sellers_address_and_their_request_number() -> None:
    letter = build_letter(_message(line="seller", ticket="S-2026-0000012"), ADDRESSES)
    assert "sellersup@ozon.ru" in str(letter["From"])
    assert letter["Subject"] == "Re: Где мой заказ? [№ S-2026-0000012]"


def test_the_first_letter_had_no_subject() -> None:
    letter = build_letter(_message(contact={}, thread=()), ADDRESSES)
    assert letter["Subject"] == "Re: Обращение в службу поддержки [№ 1042]"
    assert letter["In-Reply-To"] is None and letter["References"] is None


def test_the_bot_speaks_the_mails_way_and_is_marked_automatic() -> None:
    bot = _message(sender_kind="bot", sender_name=None, text=HANDOFF_PERSON)
    letter = build_letter(bot, ADDRESSES)
    assert letter["Auto-Submitted"] == "auto-replied"
    body = letter.get_content()
    assert "чат" not in body
    assert body.startswith("Хорошо, перевожу вас на оператора. Он ответит на это письмо.")
    closed = build_letter(_message(sender_kind="system", text=TEXT_CLOSED), ADDRESSES)
    assert "напишите новое письмо" in closed.get_content()


@pytest.mark.parametrize(
    "text", [TEXT_ASSIGNED, TEXT_REOPENED, TEXT_TRANSFERRED_LINE.format(line="Продавцы")]
)
def test_the_consoles_own_notes_are_not_mailed(text: str) -> None:
    with pytest.raises(NotForChannel):
        build_letter(_message(sender_kind="system", sender_name=None, text=text), ADDRESSES)


def test_files_are_attached(tmp_path: Path) -> None:
    pdf = tmp_path / "file"
    pdf.write_bytes(b"%PDF-1.4 test")
    letter = build_letter(
        _message(attachments=(OutboundFile("Акт сверки.pdf", "application/pdf", 13, pdf),)),
        ADDRESSES,
    )
    [part] = list(letter.iter_attachments())
    assert part.get_filename() == "Акт сверки.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 test"
