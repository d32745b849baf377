"""Events out: the webhooks' event types, the signing of a delivery (the Standard Webhooks
spec, https://www.standardwebhooks.com), and the rule for an endpoint's URL.

A delivery is a POST of a JSON body ``{"type", "timestamp", "data"}`` with three headers:
``webhook-id`` (the message's id, the same on every retry), ``webhook-timestamp`` (Unix
seconds of this try) and ``webhook-signature``: ``v1,`` and the base64 HMAC-SHA256 of
``"{id}.{timestamp}.{body}"`` keyed with the subscription's secret. The secret is shown to
the admin once, as ``whsec_`` and its base64; the key is the decoded bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

__all__ = [
    "DELIVERY_STATUS_TITLES_RU",
    "EVENT_TITLES_RU",
    "MAX_URL_LENGTH",
    "SECRET_PREFIX",
    "DeliveryStatus",
    "UnknownEvents",
    "WebhookEvent",
    "encode_secret",
    "parse_events",
    "secret_key",
    "sign",
    "signature_headers",
    "url_problem",
]

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 (the secrets' prefix, not a secret)
MAX_URL_LENGTH: Final = 2000


class WebhookEvent(StrEnum):
    """What happened in support that another system may hear of."""

    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_RESOLVED = "conversation.resolved"
    MESSAGE_CREATED = "message.created"
    TASK_CREATED = "task.created"
    TASK_CHANGED = "task.changed"
    RATING_CREATED = "rating.created"
    CERTIFICATE_ACTIVATED = "certificate.activated"
    WITHDRAWAL_CREATED = "withdrawal.created"
    RETURN_CREATED = "return.created"


EVENT_TITLES_RU: Final = MappingProxyType(
    {
        WebhookEvent.CONVERSATION_CREATED: "Создан диалог",
        WebhookEvent.CONVERSATION_RESOLVED: "Диалог решён",
        WebhookEvent.MESSAGE_CREATED: "Новое сообщение в диалоге",
        WebhookEvent.TASK_CREATED: "Создана задача",
        WebhookEvent.TASK_CHANGED: "Задача изменена (статус, исполнитель, эскалация)",
        WebhookEvent.RATING_CREATED: "Покупатель оценил обслуживание",
        WebhookEvent.CERTIFICATE_ACTIVATED: "Подарочный сертификат активирован",
        WebhookEvent.WITHDRAWAL_CREATED: "Создана заявка на вывод денег с баланса",
        WebhookEvent.RETURN_CREATED: "Оформлен возврат",
    }
)


class DeliveryStatus(StrEnum):
    """Where one delivery of an event to one subscription stands."""

    PENDING = "pending"  # waiting for its (next) try
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # every try failed: a dead letter, retried only by hand


DELIVERY_STATUS_TITLES_RU: Final = MappingProxyType(
    {
        DeliveryStatus.PENDING: "ожидает отправки",
        DeliveryStatus.DELIVERED: "доставлено",
        DeliveryStatus.FAILED: "не доставлено",
    }
)


class UnknownEvents(ValueError):
    """Event names that are not :class:`WebhookEvent` values (``names``), or none given."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        super().__init__(", ".join(self.names))


def parse_events(names: Iterable[str]) -> tuple[WebhookEvent, ...]:
    """The events a subscription asks for, without repeats, in the catalogue's order;
    :class:`UnknownEvents` for a name not in it or for none at all."""
    asked = list(names)
    known = {e.value for e in WebhookEvent}
    unknown = [name for name in asked if name not in known]
    if unknown or not asked:
        raise UnknownEvents(unknown)
    return tuple(e for e in WebhookEvent if e.value in asked)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint (in Russian), or None. Only ``http`` and
    ``https`` with a host and no user name or password in the URL: no ``file:``,
    ``gopher:`` or other scheme reaches the HTTP client. (Which hosts are reachable is the
    network's business: the server's egress rules; see the README.)"""
    if len(url) > MAX_URL_LENGTH:
        return f"адрес длиннее {MAX_URL_LENGTH} символов"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "в адресе пробелы или управляющие символы"
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises
    except ValueError:
        return "адрес не разобрать"
    if parts.scheme not in ("http", "https"):
        return "адрес должен начинаться с http:// или https://"
    if not parts.hostname:
        return "в адресе нет имени сервера"
    if parts.username is not None or parts.password is not None:
        return "логин и пароль в адресе не допускаются"
    return None


def encode_secret(key: bytes) -> str:
    """The secret as the admin sees it: ``whsec_`` and the key's base64."""
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret (its base64 decoded)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a webhook secret") from exc


def sign(key: bytes, message_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(key: bytes, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one try of a delivery."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
        "content-type": "application/json",
    }
