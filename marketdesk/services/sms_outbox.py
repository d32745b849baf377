"""Delivery of the SMS outbox: each pending message is handed to the gateway once (a claim
keeps two processes from sending it together), and its text — a login code — is wiped as
soon as the gateway took it. A message that could not be sent is tried again with a growing
pause until its code expires; then its text is wiped too. Nothing here logs a phone number
or a message text.

Runs right after a code is requested (in the background of that request) and from a worker
(``marketdesk.workers.sms_outbox``) for what is left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import SmsOutbox, utcnow

from .customer_login import CODE_TTL

__all__ = ["CLAIM", "SmsGateway", "deliver_pending", "expire_stale"]

log = logging.getLogger("marketdesk.sms")

CLAIM = timedelta(seconds=60)
"""How long a process owns a message it is sending (another may take it over afterwards)."""
MAX_BACKOFF = timedelta(seconds=60)
# a message is pointless after this; a certificate's code not sent within a week is wiped
# (the certificate stays issued and nobody knows its code: issue another)
_LIFETIME = {"login_code": CODE_TTL, "certificate": timedelta(days=7)}


class SmsGateway(Protocol):
    """Where a text message is handed over for delivery (adapters: ``channels.sms``)."""

    async def send(self, phone: str, text: str) -> None:
        """Hand the message over; raise if the gateway did not take it."""


async def expire_stale(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Wipe the text of messages that were never sent and can no longer be of use."""
    now = now or utcnow()
    expired = 0
    for kind, lifetime in _LIFETIME.items():
        result = await session.execute(
            update(SmsOutbox)
            .where(
                SmsOutbox.status == "pending",
                SmsOutbox.kind == kind,
                SmsOutbox.created_at <= now - lifetime,
            )
            .values(status="expired", text=None, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        expired += result.rowcount or 0  # type: ignore[attr-defined]
    await session.commit()
    return expired


async def deliver_pending(
    session: AsyncSession,
    gateway: SmsGateway,
    *,
    limit: int = 100,
    now: datetime | None = None,
) -> int:
    """Send what is due (oldest first, at most ``limit``); the number sent."""
    now = now or utcnow()
    await expire_stale(session, now=now)
    due = or_(SmsOutbox.next_attempt_at.is_(None), SmsOutbox.next_attempt_at <= now)
    ids = list(
        await session.scalars(
            select(SmsOutbox.id)
            .where(SmsOutbox.status == "pending", due)
            .order_by(SmsOutbox.id)
            .limit(limit)
        )
    )
    await session.commit()
    sent = 0
    for outbox_id in ids:
        claimed = (
            await session.execute(
                update(SmsOutbox)
                .where(SmsOutbox.id == outbox_id, SmsOutbox.status == "pending", due)
                .values(next_attempt_at=now + CLAIM, attempts=SmsOutbox.attempts + 1)
                .returning(SmsOutbox.phone, SmsOutbox.text, SmsOutbox.attempts)
                .execution_options(synchronize_session=False)
            )
        ).first()
        await session.commit()
        if claimed is None or claimed.text is None:  # another process took it
            continue
        try:
            await gateway.send(claimed.phone, claimed.text)
        except Exception as exc:
            pause = min(MAX_BACKOFF, timedelta(seconds=2 ** min(claimed.attempts, 6)))
            log.warning(
                "sms %s not sent (attempt %d, %s); next try in %ds",
                outbox_id,
                claimed.attempts,
                type(exc).__name__,
                pause.total_seconds(),
            )
            await session.execute(
                update(SmsOutbox)
                .where(SmsOutbox.id == outbox_id, SmsOutbox.status == "pending")
                .values(next_attempt_at=now + pause)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            continue
        await session.execute(
            update(SmsOutbox)
            .where(SmsOutbox.id == outbox_id)
            .values(status="sent", sent_at=now, text=None, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        sent += 1
    return sent
