"""Delivery reports of providers: the log's ``delivered`` «where the provider reports it».

The HTTP SMS gateway calls ``POST /api/v1/notifications/sms-status`` for each message it
delivered or gave up on, naming it by the id it answered the send with (kept as the
notification's ``provider_id``). The body is a JSON object ``{"id": "<the gateway's id>",
"status": "delivered" | "failed" | …, "reason": "…"}`` (``reason`` optional); the request
proves it comes from the gateway by ``X-Signature: sha256=<hex HMAC-SHA256 of the raw body
with MARKETDESK_SMS_STATUS_SECRET>`` or, for a gateway that can only be given a URL, by
``?secret=<the same secret>``.

A sent notification becomes ``delivered`` or ``failed`` (with the reason, the address masked
out); other statuses (``accepted``, ``queued``, ``sent``…) change nothing. A report on a
notification already delivered or failed changes nothing either (the gateway repeats
reports): the first final word stays. A report for an id not recorded yet (it may outrun the
worker's record of the send) is 404 ``sms_report_unknown``: the gateway repeats it later."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.notifications import NotificationChannel, NotificationStatus
from marketdesk.store.models import Notification, utcnow
from marketdesk.store.transactions import serialized

from ..errors import SmsReportInvalid, SmsReportSignatureMismatch, SmsReportsOff, SmsReportUnknown

__all__ = ["ReportOutcome", "report_signature", "sms_report"]

DELIVERED = frozenset({"delivered", "delivrd", "read"})
FAILED = frozenset({"failed", "undelivered", "undeliv", "rejected", "expired", "error"})
"""The words gateways use (lower case); any other status is not final and changes nothing."""


class ReportOutcome(BaseModel):
    status: str
    """The notification's status after the report."""


def report_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the ``X-Signature`` a gateway sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check(secret: str | None, body: bytes, signature: str | None, token: str | None) -> None:
    if not secret:
        raise SmsReportsOff()
    if signature is not None and hmac.compare_digest(
        signature.strip().encode(), report_signature(secret, body).encode()
    ):
        return
    if token is not None and hmac.compare_digest(token.encode(), secret.encode()):
        return
    raise SmsReportSignatureMismatch()


def _parse(body: bytes) -> tuple[str, str, str | None]:
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SmsReportInvalid() from None
    if not isinstance(data, dict):
        raise SmsReportInvalid()
    provider_id, status, reason = data.get("id"), data.get("status"), data.get("reason")
    if isinstance(provider_id, int) and not isinstance(provider_id, bool):
        provider_id = str(provider_id)
    if not isinstance(provider_id, str) or not 0 < len(provider_id) <= 120:
        raise SmsReportInvalid()
    if not isinstance(status, str) or not 0 < len(status) <= 40:
        raise SmsReportInvalid()
    if reason is not None and not isinstance(reason, str):
        raise SmsReportInvalid()
    return provider_id, status.strip().lower(), reason


@serialized
async def sms_report(
    session: AsyncSession,
    body: bytes,
    *,
    secret: str | None,
    signature: str | None = None,
    token: str | None = None,
    now: datetime | None = None,
) -> ReportOutcome:
    """Apply the SMS gateway's report ``body`` (see the module's docstring). Commits."""
    _check(secret, body, signature, token)
    provider_id, word, reason = _parse(body)
    row = await session.scalar(
        select(Notification)
        .where(
            Notification.channel == NotificationChannel.SMS.value,
            Notification.provider_id == provider_id,
        )
        .order_by(Notification.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        raise SmsReportUnknown(provider_id=provider_id)
    now = now or utcnow()
    if row.status == NotificationStatus.SENT.value:
        if word in DELIVERED:
            row.status, row.delivered_at = NotificationStatus.DELIVERED.value, now
        elif word in FAILED:
            text = (reason or "").strip() or word
            text = text.replace(row.address, "•••") if row.address else text
            row.status, row.failed_at = NotificationStatus.FAILED.value, now
            row.error = f"SMS-шлюз: не доставлено ({text})"[:500]
    status = row.status
    await session.commit()
    return ReportOutcome(status=status)
