"""Delivering the outbox, after commit: a worker claims due notifications, hands each to its
channel's adapter, and records the outcome.

**Claiming.** One statement marks a batch as taken (``attempts + 1``, ``next_attempt_at`` =
the end of the claim) and commits before anything is sent. On PostgreSQL the batch is chosen
with ``SELECT … FOR UPDATE SKIP LOCKED``, so any number of worker processes share the work
and never take the same row; on SQLite the process's write lock serialises the claims.

**After a kill.** A worker killed after its claim but before recording the outcome leaves
the row queued with a claim that runs out (``MARKETDESK_NOTIFY_CLAIM_SECONDS``); another
worker then sends it again with the same idempotency key (the HTTP ``Idempotency-Key``
header, the e-mail's ``Message-ID``). The window where a message may reach a provider twice
is what the killed worker had sent but not yet recorded (outcomes are group-committed as
sends finish: the sends in flight, at most one claimed batch, ``MARKETDESK_NOTIFY_BATCH``);
a provider that honours the key drops the repeat. So: at-least-once into an idempotent
provider, nothing lost; a provider that ignores the key may show those few messages twice.

**Failures.** An adapter's exception is temporary: the next try waits with exponential
backoff and jitter; after ``MARKETDESK_NOTIFY_MAX_ATTEMPTS`` tries the notification is a
dead letter (``failed`` with the reason). :class:`DeliveryRefused` fails it at once. A
secret's text (a code) is wiped as soon as the notification is sent, failed or expired.
Nothing here logs an address or a text.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import notifications as rules
from marketdesk.domain.notifications import NotificationStatus, NotificationType
from marketdesk.store.claims import claim_due
from marketdesk.store.models import Notification, utcnow
from marketdesk.store.transactions import serialized

from .policy import NotifyPolicy
from .ports import (
    DeliveryRefused,
    NotificationSender,
    OutgoingNotification,
    PushTarget,
    SendReport,
)
from .push import forget_endpoints, push_targets

__all__ = ["deliver_due", "expire_stale", "unsubscribe_token"]

log = logging.getLogger("marketdesk.notifications")

_QUEUED = NotificationStatus.QUEUED.value


def unsubscribe_token(secret: bytes, customer_id: int, type_: str) -> str:
    """``<customer>.<type>.<mac>``: the one-click link's proof, no login needed."""
    mac = hmac.new(secret, f"unsubscribe:{customer_id}:{type_}".encode(), hashlib.sha256)
    return f"{customer_id}.{type_}.{mac.hexdigest()[:32]}"


@serialized
async def expire_stale(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Notifications past their lifetime (a void code) expire unsent; their text goes."""
    now = now or utcnow()
    result = await session.execute(
        update(Notification)
        .where(
            Notification.status == _QUEUED,
            Notification.expires_at.is_not(None),
            Notification.expires_at <= now,
        )
        .values(status=NotificationStatus.EXPIRED.value, body=None, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _due(now: datetime) -> Any:
    return and_(
        Notification.status == _QUEUED,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )


@dataclass(frozen=True, slots=True)
class _Claimed:
    message: OutgoingNotification
    attempts: int
    secret: bool


@serialized
async def _claim(
    session: AsyncSession,
    now: datetime,
    policy: NotifyPolicy,
    channels: list[str],
    secret: bytes,
) -> list[_Claimed]:
    leased = await claim_due(
        session,
        Notification,
        conditions=[_due(now), Notification.channel.in_(channels)],
        due=_due(now),
        batch=policy.batch,
        lease_until=now + policy.claim,
        returning=[Notification],
    )
    if leased is None:
        await session.commit()
        return []
    rows = list(leased.scalars())
    targets = await push_targets(
        session, [r.customer_id for r in rows if r.channel == "push" and r.customer_id]
    )
    claimed = [
        _Claimed(
            _outgoing(row, policy, secret, targets.get(row.customer_id or 0, ())),
            row.attempts,
            row.secret,
        )
        for row in rows
    ]
    await session.commit()
    return sorted(claimed, key=lambda c: c.message.id)


def _outgoing(
    row: Notification, policy: NotifyPolicy, secret: bytes, targets: tuple[PushTarget, ...]
) -> OutgoingNotification:
    link = None
    if row.type == NotificationType.MARKETING.value and row.customer_id is not None:
        token = unsubscribe_token(secret, row.customer_id, row.type)
        link = f"{policy.public_url}/api/v1/notifications/unsubscribe?token={token}"
    return OutgoingNotification(
        id=row.id,
        type=row.type,
        event=row.event,
        channel=row.channel,
        address=row.address,
        sender=row.sender,
        subject=row.subject,
        body=row.body or "",
        idempotency_key=row.idempotency_key,
        unsubscribe_url=link,
        customer_id=row.customer_id,
        created_at=row.created_at.isoformat(),
        push_targets=targets,
    )


@serialized
async def _record(
    session: AsyncSession, outcomes: list[tuple[int, dict[str, Any]]], gone: list[str]
) -> None:
    await forget_endpoints(session, gone)
    for row_id, values in outcomes:
        await session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.status == _QUEUED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    await session.commit()


def _outcome(
    row: _Claimed,
    error: BaseException | None,
    now: datetime,
    policy: NotifyPolicy,
    provider_id: str | None = None,
) -> dict[str, Any]:
    if error is None:
        values: dict[str, Any] = {
            "status": NotificationStatus.SENT.value,
            "sent_at": now,
            "next_attempt_at": None,
            "error": None,
        }
        if provider_id:
            values["provider_id"] = provider_id[:120]
    else:
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        # a provider's message may quote the address or the text: neither goes to the log
        for secret_part in (row.message.address, row.message.body):
            if secret_part:
                reason = reason.replace(secret_part, "•••")
        reason = reason[:500]
        final = isinstance(error, DeliveryRefused) or row.attempts >= policy.max_attempts
        if final:
            values = {
                "status": NotificationStatus.FAILED.value,
                "failed_at": now,
                "next_attempt_at": None,
                "error": reason,
            }
        else:
            pause = rules.backoff(
                row.attempts,
                base=policy.backoff_base,
                cap=policy.backoff_cap,
                jitter=random.random(),  # noqa: S311 (spreading retries, not a secret)
            )
            values = {"next_attempt_at": now + pause, "error": reason}
    if row.secret and values.get("status") in ("sent", "failed"):
        values["body"] = None
    return values


async def deliver_due(
    session: AsyncSession,
    senders: Mapping[str, NotificationSender],
    *,
    secret: bytes,
    policy: NotifyPolicy | None = None,
    now: datetime | None = None,
) -> int:
    """One round: expire what is void, claim what is due (of the channels ``senders``
    serves), send it, record each outcome; the number sent."""
    policy = policy or NotifyPolicy.from_settings()
    now = now or utcnow()
    await expire_stale(session, now=now)
    rows = await _claim(session, now, policy, sorted(senders), secret)
    if not rows:
        return 0
    limit = asyncio.Semaphore(policy.concurrency)
    writing = asyncio.Lock()  # one session: one transaction at a time
    pending: list[tuple[int, dict[str, Any]]] = []
    gone: list[str] = []

    async def flush() -> None:
        # group commit: whatever finished while the previous transaction committed goes
        # into the next one (on SQLite a commit is a disk flush); the outcome of a send is
        # written as soon as it can be, so the repeat window after a kill stays small
        async with writing:
            if pending or gone:
                taken, forgotten = pending[:], gone[:]
                pending.clear()
                gone.clear()
                await _record(session, taken, forgotten)

    async def one(row: _Claimed) -> bool:
        error: BaseException | None = None
        provider_id: str | None = None
        async with limit:
            try:
                report = await senders[row.message.channel].send(row.message)
                if isinstance(report, SendReport):
                    gone.extend(report.gone)
                    provider_id = report.provider_id
            except Exception as exc:
                if isinstance(exc, DeliveryRefused):
                    gone.extend(exc.gone)
                log.warning(
                    "notification %s (%s) not sent, try %d: %s",
                    row.message.id,
                    row.message.channel,
                    row.attempts,
                    type(exc).__name__,
                )
                error = exc
        pending.append((row.message.id, _outcome(row, error, utcnow(), policy, provider_id)))
        await flush()
        return error is None

    return sum(await asyncio.gather(*(one(row) for row in rows)))
