"""The e-mail adapter of the notification outbox: SMTP through aiosmtplib.

Where: ``MARKETDESK_SMTP_URL`` (``smtp://user:password@host:port``, ``smtps://`` for TLS from
the start, ``?starttls=1`` for STARTTLS), or ``MARKETDESK_SMTP_HOST``/``_PORT``/``_USER``/
``_PASSWORD``/``_TLS``. Unset: no e-mail channel.

Each letter: ``From:`` the type's official sender (seed 000) under the name the seed gives
(«Наши рассылки приходят от имени OZON.RU»), a Russian subject encoded per RFC 2047, a plain
UTF-8 body, ``Message-ID`` made from the notification's idempotency key (the same on every
try, so a receiving system can drop a repeat), and for marketing the one-click unsubscribe
of RFC 8058 (``List-Unsubscribe`` with the signed link and ``List-Unsubscribe-Post``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from marketdesk.services.notifications import DeliveryRefused, OutgoingNotification
from marketdesk.settings import Settings
from marketdesk.store.models import utcnow

__all__ = ["SENDER_NAME", "SmtpConfig", "SmtpEmailSender", "build_message"]

SENDER_NAME = "OZON.RU"
"""Seed 000: «Наши рассылки приходят от имени OZON.RU»."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    tls: str = "none"  # none, starttls, tls
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        if settings.smtp_url:
            return cls.from_url(settings.smtp_url)
        if not settings.smtp_host:
            return None
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=password.get_secret_value() if password else None,
            tls=settings.smtp_tls,
        )

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MARKETDESK_SMTP_URL: expected smtp://host:port or smtps://…")
        query = parse_qs(parts.query)
        tls = "tls" if parts.scheme == "smtps" else "none"
        if query.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            tls = "starttls"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls == "tls" else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )


def build_message(message: OutgoingNotification) -> EmailMessage:
    sender = message.sender or "mailer@ozon.ru"
    letter = EmailMessage()
    letter["From"] = formataddr((SENDER_NAME, sender))
    letter["To"] = message.address
    letter["Subject"] = message.subject or "Уведомление"
    letter["Date"] = format_datetime(utcnow())
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:40]
    letter["Message-ID"] = f"<{digest}@{sender.rpartition('@')[2]}>"
    letter["Auto-Submitted"] = "auto-generated"
    if message.unsubscribe_url:
        letter["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        letter["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body = message.body
    if message.unsubscribe_url:
        body += f"\n\nОтписаться от рассылки: {message.unsubscribe_url}"
    letter.set_content(body, charset="utf-8")
    return letter


class SmtpEmailSender:
    """One SMTP session per letter (simple, and nothing to keep alive between rounds)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: OutgoingNotification) -> None:
        c = self.config
        try:
            await aiosmtplib.send(
                build_message(message),
                hostname=c.host,
                port=c.port,
                username=c.user,
                password=c.password,
                use_tls=c.tls == "tls",
                start_tls=c.tls == "starttls",
                timeout=c.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryRefused("the SMTP server refused the recipient") from exc
