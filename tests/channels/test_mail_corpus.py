"""The corpus of real-world-shaped Russian letters (``mail_corpus/*.eml``, made by
``mail_corpus/build.py``), each read to what ``mail_corpus/expected.yaml`` says: its text with
the quotes and signature cut, who wrote it, what it replies to, the number in its subject,
its files, and whether it is a machine's letter never answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from marketdesk.channels.mail.inbound import _content, seller_topic_for
from marketdesk.channels.mail.parse import parse_mail
from marketdesk.domain.tasks import is_valid_seller_topic
from marketdesk.services.attachments import ALLOWED_TYPES_RU
from marketdesk.services.chat import MAX_TEXT
from marketdesk.settings import Settings

CORPUS = Path(__file__).parent / "mail_corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
LETTERS = sorted(p.name for p in CORPUS.glob("*.eml"))


def test_the_corpus_is_whole() -> None:
    assert len(LETTERS) >= 30
    assert sorted(EXPECTED) == LETTERS  # every letter has its expectation, and no more


@pytest.mark.parametrize("name", LETTERS)
def test_each_letter_reads_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    mail = parse_mail((CORPUS / name).read_bytes())
    assert mail.sender == expected["sender"]
    assert mail.display_name == expected.get("display_name")
    assert mail.subject == expected["subject"]
    assert mail.text == expected["text"]
    assert list(mail.references) == expected.get("replies_to", [])
    assert mail.ticket == expected.get("ticket")
    assert [[f.filename, f.content_type] for f in mail.files] == expected.get("files", [])
    assert (mail.machine is not None) == expected.get("machine", False), mail.machine
    assert ("sellersup@ozon.ru" in mail.recipients) == expected.get("seller", False)
    if "message_id" in expected:
        assert mail.message_id == expected["message_id"]
    else:  # made from the bytes: the same on every repeat
        assert mail.message_id.endswith("@marketdesk.invalid>")
        assert parse_mail((CORPUS / name).read_bytes()).message_id == mail.message_id


def test_what_is_cut_stays_in_the_whole_text() -> None:
    gmail = parse_mail((CORPUS / "02_gmail_reply_attribution.eml").read_bytes())
    assert "Уточните, пожалуйста, номер заказа" not in gmail.text
    assert "Уточните, пожалуйста, номер заказа" in gmail.full_text
    outlook = parse_mail((CORPUS / "04_outlook_reply_cp1251.eml").read_bytes())
    assert "Отправлено: 30 ноября 2026" in outlook.full_text
    html = parse_mail((CORPUS / "06_outlook_html_reply.eml").read_bytes())
    assert "Курьер приедет сегодня" in html.full_text
    assert "Курьер приедет сегодня" not in html.text


def test_machines_letters_say_why() -> None:
    reasons = {
        name: parse_mail((CORPUS / name).read_bytes()).machine
        for name in LETTERS
        if EXPECTED[name].get("machine")
    }
    assert reasons["26_outlook_auto_reply.eml"] == "Auto-Submitted: auto-replied"
    assert reasons["27_yandex_x_autoreply.eml"] == "X-Autoreply"
    assert reasons["29_bounce_mailru_plain.eml"] == (
        "служебный отправитель mailer-daemon@corp.mail.ru"
    )
    assert reasons["30_newsletter_bulk.eml"] == "Precedence: bulk"
    # a bounce with no Auto-Submitted is still one: its report type, its empty Return-Path
    raw = (
        (CORPUS / "28_bounce_dsn.eml")
        .read_bytes()
        .replace(b"Auto-Submitted: auto-replied\r\n", b"")
    )
    assert parse_mail(raw).machine == "отчёт о доставке (bounce)"


def test_files_the_chat_does_not_take_are_named_in_the_text() -> None:
    mail = parse_mail((CORPUS / "22_docx_and_png.eml").read_bytes())
    text, files = _content(mail)
    assert [f.filename for f in files] == ["scan.png"]
    assert text.startswith("Претензия и фото — во вложении.")
    assert f"[Вложение «Претензия.docx» не принято: поддерживаются {ALLOWED_TYPES_RU}" in text


def test_a_long_letter_is_cut_to_the_chats_limit() -> None:
    body = ("Очень длинное описание проблемы с заказом. " * 200).strip()
    raw = (
        "From: long@mail.ru\r\nTo: help@ozon.ru\r\nSubject: =?utf-8?B?0JTQu9C40L3QvdC+?=\r\n"
        "Message-ID: <long@mail.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()
    mail = parse_mail(raw)
    assert mail.text == body and len(body) > MAX_TEXT
    text, _ = _content(mail)
    assert len(text) <= MAX_TEXT
    assert text.startswith(body[:3000])
    assert text.endswith("целиком оно сохранено в архиве почты.]")


def test_an_empty_letter_says_so() -> None:
    raw = b"From: a@mail.ru\r\nTo: help@ozon.ru\r\nSubject: \r\nMessage-ID: <e@mail.ru>\r\n\r\n"
    text, files = _content(parse_mail(raw))
    assert text == "(письмо без текста)" and files == ()


def test_a_sellers_topic_comes_from_the_subject_else_the_setting() -> None:
    settings = Settings()
    assert seller_topic_for("Неправильный статус заказа 70011223-0002", settings) == (
        "Заказы",
        "Неправильный статус заказа",
    )
    assert seller_topic_for("Изменение платёжных реквизитов", settings) == (
        "Финансы",
        "Изменение платёжных реквизитов",
    )
    fallback = seller_topic_for("Здравствуйте", settings)
    assert fallback == (settings.mail_seller_topic, settings.mail_seller_subtopic)
    assert is_valid_seller_topic(*fallback)


def test_a_customer_quoting_someone_in_their_own_words_keeps_it() -> None:
    raw = (
        "From: a@mail.ru\r\nTo: help@ozon.ru\r\nSubject: =?utf-8?B?0J/RgNC+0LTQsNCy0LXRhg==?=\r\n"
        "Message-ID: <own@mail.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Вот что мне написал продавец:\r\nВозврат невозможен.\r\n"
    ).encode()
    assert parse_mail(raw).text == "Вот что мне написал продавец:\nВозврат невозможен."


def test_a_letter_that_cannot_be_read_is_kept_and_not_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import asyncio

    from marketdesk.channels.mail import inbound
    from marketdesk.services.chat import ChatContext

    def broken(raw: bytes) -> Any:
        raise ValueError("a letter unlike any other")

    monkeypatch.setattr(inbound, "parse_mail", broken)
    raw = b"From: a@mail.ru\r\n\r\nstrange"
    accepted = asyncio.run(inbound.accept_mail(ChatContext(), raw, Settings(data_dir=tmp_path)))
    assert accepted.outcome == "ignored"
    assert accepted.reason is not None and accepted.reason.startswith("письмо не удалось разобрать")
    [kept] = list((tmp_path / "mail").glob("*/*.eml"))
    assert kept.read_bytes() == raw
