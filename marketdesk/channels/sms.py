"""SMS adapters of the notification outbox (``services.notifications``): each is a
:class:`~marketdesk.services.notifications.NotificationSender` — ``async send(message)`` that
returns when the gateway took the message and raises otherwise.

- :class:`HttpSmsGateway`: one generic adapter for the HTTP APIs of SMS providers
  (``MARKETDESK_SMS_URL``): by default a JSON POST ``{"phone": …, "text": …}``; the body is
  a template (``MARKETDESK_SMS_BODY_TEMPLATE``, ``$phone``, ``$text``, ``$id``) and an
  auth header may be added (``MARKETDESK_SMS_AUTH_HEADER``, ``Name: value``). Every request
  carries ``Idempotency-Key``: the same on every try of one notification. A 4xx answer (but
  408 and 429) is a refusal for good; anything else failed is tried again. The gateway's id
  of the message (``MARKETDESK_SMS_ID_FIELD``, a dotted path in its JSON answer) is kept:
  its delivery reports name it (``services.notifications.reports``).
- :class:`FileSmsGateway` (the default, for the demo and development): appends every message
  to ``sms-demo.log`` in the data dir, a file only its owner can read (0600). A demo user
  reads their login code there.
- :class:`MemorySmsGateway`: keeps the messages in memory (tests, scripts).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from string import Template

import httpx

from marketdesk.services.notifications import DeliveryRefused, OutgoingNotification, SendReport
from marketdesk.settings import Settings
from marketdesk.store.models import utcnow

__all__ = [
    "DEMO_LOG_NAME",
    "FileSmsGateway",
    "HttpSmsGateway",
    "MemorySmsGateway",
    "SentSms",
    "read_demo_log",
    "sms_gateway_from_settings",
]

DEMO_LOG_NAME = "sms-demo.log"
_DEFAULT_BODY = '{"phone": "$phone", "text": "$text"}'


@dataclass(frozen=True, slots=True)
class SentSms:
    phone: str
    text: str
    at: datetime


class FileSmsGateway:
    """Appends each message as one line ``<time>\\t<phone>\\t<text>`` to a 0600 file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: OutgoingNotification) -> None:
        line = "\t".join(
            (utcnow().isoformat(timespec="seconds"), message.address, _one_line(message.body))
        )
        await asyncio.to_thread(self._append, line + "\n")

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file left by an older version, or made under a loose umask
            os.write(fd, line.encode())
        finally:
            os.close(fd)


@dataclass
class MemorySmsGateway:
    """Keeps what it was given (``sent``), newest last."""

    sent: list[SentSms] = field(default_factory=list)

    async def send(self, message: OutgoingNotification) -> None:
        self.sent.append(SentSms(message.address, message.body, utcnow()))

    def last_to(self, phone: str) -> str | None:
        for sms in reversed(self.sent):
            if sms.phone == phone:
                return sms.text
        return None


class HttpSmsGateway:
    """POSTs each message to an SMS provider's HTTP API."""

    def __init__(
        self,
        url: str,
        *,
        body_template: str | None = None,
        auth_header: str | None = None,
        id_field: str = "id",
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.id_path = [part for part in id_field.split(".") if part]
        self.template = Template(body_template or _DEFAULT_BODY)
        self.headers = {"Content-Type": "application/json; charset=utf-8"}
        if auth_header:
            name, _, value = auth_header.partition(":")
            self.headers[name.strip()] = value.strip()
        self._client = client or httpx.AsyncClient(timeout=timeout)

    def body(self, message: OutgoingNotification) -> bytes:
        def quoted(value: str) -> str:  # a JSON string's inside: the template has the quotes
            return json.dumps(value, ensure_ascii=False)[1:-1]

        return self.template.substitute(
            phone=quoted(message.address),
            text=quoted(message.body),
            id=quoted(message.idempotency_key),
        ).encode()

    def provider_id(self, answer: httpx.Response) -> str | None:
        """The gateway's id of the message in its answer (None when it gives none)."""
        try:
            found: object = answer.json()
        except ValueError:
            return None
        for part in self.id_path:
            if isinstance(found, dict):
                found = found.get(part)
            elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
                found = found[int(part)]
            else:
                return None
        if isinstance(found, bool) or not isinstance(found, str | int) or found == "":
            return None
        return str(found)[:120]

    async def send(self, message: OutgoingNotification) -> SendReport | None:
        answer = await self._client.post(
            self.url,
            content=self.body(message),
            headers={**self.headers, "Idempotency-Key": message.idempotency_key},
        )
        if 200 <= answer.status_code < 300:
            return SendReport(provider_id=self.provider_id(answer))
        if 400 <= answer.status_code < 500 and answer.status_code not in (408, 429):
            raise DeliveryRefused(f"SMS gateway answered {answer.status_code}")
        raise RuntimeError(f"SMS gateway answered {answer.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()


def sms_gateway_from_settings(settings: Settings) -> HttpSmsGateway | FileSmsGateway:
    """The HTTP gateway when ``MARKETDESK_SMS_URL`` is set, else the demo's log file."""
    if settings.sms_url:
        header = settings.sms_auth_header
        return HttpSmsGateway(
            settings.sms_url,
            body_template=settings.sms_body_template,
            auth_header=header.get_secret_value() if header else None,
            id_field=settings.sms_id_field,
        )
    return FileSmsGateway(settings.data_dir / DEMO_LOG_NAME)


def read_demo_log(path: Path) -> list[SentSms]:
    """The messages a :class:`FileSmsGateway` wrote, oldest first."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        at, _, rest = line.partition("\t")
        phone, _, text = rest.partition("\t")
        if phone:
            out.append(SentSms(phone, text, datetime.fromisoformat(at)))
    return out


def _one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)
