"""Web Push adapter of the notification outbox (``services.notifications``): a
:class:`~marketdesk.services.notifications.NotificationSender` that sends a notification to
every browser the customer subscribed with the widget's service worker.

Each request to a push service (RFC 8030) carries the payload encrypted to the browser's keys
(RFC 8291, ``aes128gcm`` of RFC 8188: pywebpush's ``WebPusher.encode``) and a VAPID
``Authorization: vapid t=<JWT>, k=<public key>`` (RFC 8292: py-vapid's ``Vapid02``, ES256,
``aud`` the push service's origin, ``exp`` twelve hours ahead, ``sub`` the contact of
``MARKETDESK_VAPID_SUBJECT``). ``TTL`` is ``MARKETDESK_PUSH_TTL_SECONDS``; ``Urgency`` is
``high`` for the catalogue's urgent types; ``Topic`` is derived from the idempotency key, so a
retry replaces a copy the push service still holds instead of adding a second one.

Answers: 2xx taken; 404/410 the subscription is gone (forgotten by the outbox); another 4xx
but 408/429 a refusal for that browser; anything else temporary. The notification is sent when
one browser took it; refused when every browser refused or is gone; otherwise retried (a
retry goes to every browser again: those that took it see it replaced, by the ``Topic``)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from urllib.parse import urlsplit

import httpx
from py_vapid import Vapid02
from pywebpush import WebPusher

from marketdesk.domain.notifications import CATALOGUE, NotificationType
from marketdesk.services.notifications import (
    DeliveryRefused,
    OutgoingNotification,
    PushTarget,
    SendReport,
    VapidKeys,
)

__all__ = ["WebPushSender", "payload_of"]

_JWT_HOURS = 12


def payload_of(message: OutgoingNotification, url: str) -> bytes:
    """What the service worker receives (JSON): the title, the text, where a click leads."""
    spec = CATALOGUE[NotificationType(message.type)]
    return json.dumps(
        {
            "id": message.id,
            "type": message.type,
            "title": message.subject or spec.title_ru,
            "body": message.body,
            "url": url,
        },
        ensure_ascii=False,
    ).encode()


def _topic(key: str) -> str:
    # RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class WebPushSender:
    def __init__(
        self,
        keys: VapidKeys,
        *,
        ttl: int,
        click_url: str,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.keys = keys
        self.ttl = ttl
        self.click_url = click_url
        self._vapid = Vapid02.from_raw(keys.private_raw.encode())
        self._client = client or httpx.AsyncClient(timeout=timeout)

    def _authorization(self, endpoint: str) -> str:
        url = urlsplit(endpoint)
        claims = {
            "aud": f"{url.scheme}://{url.netloc}",
            "exp": int(time.time()) + _JWT_HOURS * 3600,
            "sub": self.keys.subject,
        }
        return str(self._vapid.sign(claims)["Authorization"])

    def request(self, message: OutgoingNotification, target: PushTarget) -> httpx.Request:
        """The push service's request for one browser (encrypted, signed)."""
        info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
        body = WebPusher(info).encode(payload_of(message, self.click_url), "aes128gcm")["body"]
        urgent = CATALOGUE[NotificationType(message.type)].urgent
        headers = {
            "Authorization": self._authorization(target.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self.ttl),
            "Urgency": "high" if urgent else "normal",
            "Topic": _topic(message.idempotency_key),
        }
        return self._client.build_request("POST", target.endpoint, content=body, headers=headers)

    async def _one(self, message: OutgoingNotification, target: PushTarget) -> str:
        """``sent``, ``gone``, ``refused`` or ``retry``."""
        try:
            answer = await self._client.send(self.request(message, target))
        except httpx.HTTPError:
            return "retry"
        code = answer.status_code
        if 200 <= code < 300:
            return "sent"
        if code in (404, 410):
            return "gone"
        if 400 <= code < 500 and code not in (408, 429):
            return "refused"
        return "retry"

    async def send(self, message: OutgoingNotification) -> SendReport:
        targets = message.push_targets
        if not targets:
            raise DeliveryRefused("у покупателя нет подписок на push-уведомления")
        results = await asyncio.gather(*(self._one(message, t) for t in targets))
        gone = tuple(t.endpoint for t, r in zip(targets, results, strict=True) if r == "gone")
        if "sent" in results:
            return SendReport(gone=gone)
        if "retry" in results:
            raise RuntimeError(f"push service unavailable for {results.count('retry')} browser(s)")
        raise DeliveryRefused(
            f"push: браузеров отказано {results.count('refused')}, устарело {len(gone)}",
            gone=gone,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
