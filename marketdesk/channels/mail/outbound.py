"""What the bot, the operators and the system write into an e-mail conversation, sent as a
reply letter through SMTP (aiosmtplib, ``MARKETDESK_SMTP_URL``, the notifications' config).

Each letter: ``From:`` the support address of the conversation's line (seed 002:
``help@ozon.ru`` for customers, ``sellersup@ozon.ru`` for sellers; ``MARKETDESK_MAIL_*``),
subject ``Re: <the first letter's subject> [№ <request>]``, ``In-Reply-To`` the latest letter
of the conversation and ``References`` the ones before it, a ``Message-ID`` made from the
delivery (the same on every try: a retry after a crash is one letter to the receiving
system), the message's files attached, and ``Auto-Submitted: auto-replied`` on the bot's and
the system's letters (RFC 3834: an autoresponder does not answer them).

What e-mail does not carry (:class:`NotForChannel`, the delivery is ``skipped``): the system
notes about the console's own moves — «Оператор подключился к диалогу», «Диалог передан
другому оператору» / «на линию …», «Диалог снова открыт» (the customer's own letter reopened
it). What the bot and the system say the chat's way («подключится к этому чату», «не
закрывайте чат») is said the e-mail's way («ответит на это письмо»).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from marketdesk.domain.lines import Line
from marketdesk.services.channels import ChannelMessage, DeliveryRefused, NotForChannel
from marketdesk.services.chat.texts import (
    TEXT_ASSIGNED,
    TEXT_CLOSED,
    TEXT_QUEUED,
    TEXT_REOPENED,
    TEXT_TRANSFERRED_LINE,
    TEXT_TRANSFERRED_OPERATOR,
)
from marketdesk.store.models import utcnow

from ..email import SENDER_NAME, SmtpConfig
from .inbound import MailAddresses

__all__ = ["EmailChannelSender", "build_letter", "letter_id"]

_NOT_CARRIED = (TEXT_ASSIGNED, TEXT_TRANSFERRED_OPERATOR, TEXT_REOPENED)
_TRANSFERRED_LINE = re.compile(
    "^" + re.escape(TEXT_TRANSFERRED_LINE).replace(re.escape("{line}"), ".+") + "$"
)
_SAID_BY_MAIL = {
    TEXT_QUEUED: (
        "Передаю ваше обращение оператору. Он ответит на это письмо; обычно это занимает "
        "несколько минут, в зависимости от загруженности."
    ),
    TEXT_CLOSED: "Диалог закрыт. Чтобы задать новый вопрос, напишите новое письмо.",
}
_CHAT_WORDS = (
    # the bot's and the system's chat wording (bot/texts.py, chat/texts.py), said for a letter
    (
        "Он подключится к этому чату и продолжит разговор — пожалуйста, не закрывайте чат.",
        "Он ответит на это письмо.",
    ),
    ("подключится к этому чату", "ответит на это письмо"),
    (" Пожалуйста, не закрывайте чат.", ""),
    ("начните новый диалог", "напишите новое письмо"),
)
_DEFAULT_SUBJECT = "Обращение в службу поддержки"
_MAX_REFERENCES = 20
_RETRIED_5XX = frozenset({530, 534, 535, 538})
"""Authentication refusals: the configuration is wrong, not the letter; tried again."""
_SIGNATURE = "-- \nСлужба поддержки {name}"


def letter_id(message: ChannelMessage, domain: str) -> str:
    """The ``Message-ID`` of a delivery: the same on every try, unique per message."""
    seed = f"{message.idempotency_key}|{message.message_id}|{message.conversation_id}"
    digest = hashlib.sha256(f"{seed}|{message.address}".encode()).hexdigest()[:32]
    return f"<md.{message.delivery_id}.{digest}@{domain}>"


def _subject(message: ChannelMessage) -> str:
    original = str(message.contact.get("subject") or "").strip() or _DEFAULT_SUBJECT
    return f"Re: {original} [№ {message.ticket}]"


def _body(message: ChannelMessage) -> str:
    if message.sender_kind == "system":
        if message.text in _NOT_CARRIED or _TRANSFERRED_LINE.match(message.text):
            raise NotForChannel(message.text)
        text = _SAID_BY_MAIL.get(message.text, message.text)
    else:
        text = message.text
    if message.sender_kind in ("bot", "system"):
        for chat_words, mail_words in _CHAT_WORDS:
            text = text.replace(chat_words, mail_words)
    signed = message.sender_name if message.sender_kind == "operator" else None
    signature = _SIGNATURE.format(name=SENDER_NAME)
    if signed:
        signature = f"-- \n{signed}\nСлужба поддержки {SENDER_NAME}"
    return f"{text.strip()}\n\n{signature}\n"


def build_letter(message: ChannelMessage, addresses: MailAddresses) -> EmailMessage:
    """The letter of ``message`` (see the module's docstring)."""
    sender = addresses.seller if message.line == Line.SELLER else addresses.help
    domain = sender.rpartition("@")[2] or "marketdesk.invalid"
    letter = EmailMessage()
    letter["From"] = formataddr((SENDER_NAME, sender))
    name = str(message.contact.get("display_name") or "")
    letter["To"] = formataddr((name, message.address)) if name else message.address
    letter["Subject"] = _subject(message)
    letter["Date"] = format_datetime(utcnow())
    letter["Message-ID"] = letter_id(message, domain)
    thread = [t for t in message.thread if t.startswith("<") and t.endswith(">")]
    if thread:
        letter["In-Reply-To"] = thread[-1]
        letter["References"] = " ".join(thread[-_MAX_REFERENCES:])
    if message.sender_kind in ("bot", "system"):
        letter["Auto-Submitted"] = "auto-replied"
    letter.set_content(_body(message), charset="utf-8")
    for file in message.attachments:
        maintype, _, subtype = (
            file.content_type or mimetypes.guess_type(file.filename)[0] or ""
        ).partition("/")
        letter.add_attachment(
            file.path.read_bytes(),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=file.filename,
        )
    return letter


class EmailChannelSender:
    """The e-mail channel's outbound side (``services.channels.ChannelSender``): one SMTP
    session per letter."""

    channel = "email"

    def __init__(self, config: SmtpConfig, addresses: MailAddresses) -> None:
        self.config = config
        self.addresses = addresses

    async def deliver(self, message: ChannelMessage) -> str:
        letter = build_letter(message, self.addresses)
        c = self.config
        try:
            await aiosmtplib.send(
                letter,
                hostname=c.host,
                port=c.port,
                username=c.user,
                password=c.password,
                use_tls=c.tls == "tls",
                start_tls=c.tls == "starttls",
                timeout=c.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= error.code < 600 for error in exc.recipients):
                said = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)[:300]
                raise DeliveryRefused(f"SMTP-сервер не принял адрес получателя: {said}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600 and exc.code not in _RETRIED_5XX:
                raise DeliveryRefused(f"SMTP-сервер отказал: {exc.code} {exc.message}") from exc
            raise
        return str(letter["Message-ID"])
