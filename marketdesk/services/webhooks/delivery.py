"""Delivering the webhooks' outbox after the commit: a worker claims the due deliveries,
signs each (``domain.webhooks``: the Standard Webhooks headers), POSTs it through a
:data:`Poster` (the worker's HTTP client) and records the outcome.

**Order.** A subscription's events go out in the order they were written (the outbox's
``id``): a round takes only the earliest pending delivery of each subscription, so one that
fails holds the later ones of its subscription until it is delivered or dead (after
``MARKETDESK_WEBHOOK_MAX_ATTEMPTS`` tries); other subscriptions go on meanwhile. A dead
letter retried by hand is sent again after what came later: order is kept for what flows,
not for what an admin replays (the receiver has ``webhook-id`` and the body's ``timestamp``).

**Claiming** is the notification outbox's: one statement marks the batch as taken
(``attempts + 1``, ``next_attempt_at`` = the end of the claim) and commits before anything is
sent; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (any number of workers), the process's write
lock on SQLite. A worker killed while sending leaves a claim that runs out
(``MARKETDESK_WEBHOOK_CLAIM_SECONDS``); the event is then sent again with the same
``webhook-id``, which receivers use to drop the repeat (at least once).

**Failures.** Anything but a 2xx answer (a redirect included: none is followed) or no answer
at all is a failed try; the next waits with exponential backoff and jitter
(``MARKETDESK_WEBHOOK_BACKOFF_SECONDS``, doubling up to ``…_BACKOFF_MAX_SECONDS``)."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from marketdesk.domain.notifications import backoff
from marketdesk.domain.webhooks import DeliveryStatus, secret_key, signature_headers
from marketdesk.settings import Settings
from marketdesk.store.claims import claim_due
from marketdesk.store.models import WebhookDelivery, WebhookSubscription, utcnow
from marketdesk.store.transactions import serialized

from .outbox import active_subscriptions

__all__ = ["PostFailed", "Poster", "WebhookPolicy", "deliver_due"]

log = logging.getLogger("marketdesk.webhooks")

_PENDING = DeliveryStatus.PENDING.value

Poster = Callable[[str, bytes, dict[str, str]], Awaitable[int]]
"""``await post(url, body, headers)`` → the HTTP status; raises :class:`PostFailed` (or any
exception) when there is no answer."""


class PostFailed(Exception):
    """No answer from the endpoint (refused, timed out, not resolved)."""


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """``MARKETDESK_WEBHOOK_*`` (none of it is in the seeds)."""

    max_attempts: int = 8
    backoff_base: float = 10.0
    backoff_cap: float = 3600.0
    claim: timedelta = timedelta(seconds=60)
    timeout: float = 10.0
    batch: int = 50

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> WebhookPolicy:
        if settings is None:
            return _from_environment()
        return cls(
            max_attempts=settings.webhook_max_attempts,
            backoff_base=settings.webhook_backoff_seconds,
            backoff_cap=settings.webhook_backoff_max_seconds,
            claim=timedelta(seconds=settings.webhook_claim_seconds),
            timeout=settings.webhook_timeout_seconds,
        )


@functools.cache
def _from_environment() -> WebhookPolicy:
    return WebhookPolicy.from_settings(Settings())


def _due(now: datetime) -> Any:
    return and_(
        WebhookDelivery.status == _PENDING,
        or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
    )


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    url: str
    secret: str
    message_id: str
    body: str
    attempts: int


@serialized
async def _claim(session: AsyncSession, now: datetime, policy: WebhookPolicy) -> list[_Claimed]:
    earlier = aliased(WebhookDelivery)
    first_of_its_subscription = ~(
        select(earlier.id)
        .where(
            earlier.subscription_id == WebhookDelivery.subscription_id,
            earlier.status == _PENDING,
            earlier.id < WebhookDelivery.id,
        )
        .exists()
    )
    active = select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
    leased = await claim_due(
        session,
        WebhookDelivery,
        conditions=[
            _due(now),
            first_of_its_subscription,
            WebhookDelivery.subscription_id.in_(active),
        ],
        due=_due(now),
        batch=policy.batch,
        lease_until=now + policy.claim,
        returning=[
            WebhookDelivery.id,
            WebhookDelivery.subscription_id,
            WebhookDelivery.message_id,
            WebhookDelivery.body,
            WebhookDelivery.attempts,
        ],
    )
    if leased is None:
        await session.commit()
        return []
    rows = leased.all()
    targets = {
        sid: (url, secret)
        for sid, url, secret in await session.execute(
            select(
                WebhookSubscription.id, WebhookSubscription.url, WebhookSubscription.secret
            ).where(WebhookSubscription.id.in_({row.subscription_id for row in rows}))
        )
    }
    await session.commit()
    claimed = [
        _Claimed(row.id, *targets[row.subscription_id], row.message_id, row.body, row.attempts)
        for row in rows
        if row.subscription_id in targets
    ]
    return sorted(claimed, key=lambda c: c.id)


async def _try(post: Poster, row: _Claimed) -> tuple[int | None, str | None]:
    """One try: (the HTTP status, the reason it failed or None)."""
    headers = signature_headers(secret_key(row.secret), row.message_id, int(time.time()), row.body)
    try:
        status = await post(row.url, row.body.encode(), headers)
    except PostFailed as exc:
        return None, (str(exc) or "нет ответа")[:500]
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return None, reason[:500]
    if 200 <= status < 300:
        return status, None
    return status, f"HTTP {status}"


def _outcome(
    row: _Claimed,
    status: int | None,
    error: str | None,
    now: datetime,
    policy: WebhookPolicy,
) -> dict[str, Any]:
    if error is None:
        return {
            "status": DeliveryStatus.DELIVERED.value,
            "response_status": status,
            "delivered_at": now,
            "next_attempt_at": None,
            "error": None,
        }
    if row.attempts >= policy.max_attempts:
        return {
            "status": DeliveryStatus.FAILED.value,
            "response_status": status,
            "failed_at": now,
            "next_attempt_at": None,
            "error": error,
        }
    pause = backoff(
        row.attempts,
        base=policy.backoff_base,
        cap=policy.backoff_cap,
        jitter=random.random(),  # noqa: S311 (spreading retries, not a secret)
    )
    return {"next_attempt_at": now + pause, "response_status": status, "error": error}


@serialized
async def _record(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == _PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def deliver_due(
    session: AsyncSession,
    post: Poster,
    *,
    policy: WebhookPolicy | None = None,
    now: datetime | None = None,
) -> int:
    """One round: claim the due deliveries (the earliest of each subscription), send them
    (the subscriptions side by side), record each outcome; → how many were tried. ``now``
    decides what is due and when a retry comes (the signature's timestamp is the clock's)."""
    policy = policy or WebhookPolicy.from_settings()
    if not await active_subscriptions(session):  # nothing can be due (an idle tick is free)
        return 0
    rows = await _claim(session, now or utcnow(), policy)
    if not rows:
        return 0
    results = await asyncio.gather(*(_try(post, row) for row in rows))
    for row, (status, error) in zip(rows, results, strict=True):
        if error is not None:
            log.warning(
                "webhook delivery %s not delivered, try %d: %s", row.id, row.attempts, error
            )
        await _record(session, row.id, _outcome(row, status, error, now or utcnow(), policy))
    return len(rows)
