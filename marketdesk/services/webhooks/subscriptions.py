"""The admins' webhooks: subscribe an endpoint to event types (the answer carries its signing
secret, once), list, pause or change, delete; read a subscription's delivery log and send a
dead letter again. Every change is audited."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import webhooks as rules
from marketdesk.domain.roles import Role
from marketdesk.domain.webhooks import DELIVERY_STATUS_TITLES_RU, DeliveryStatus, WebhookEvent
from marketdesk.store.models import WebhookDelivery, WebhookSubscription, utcnow
from marketdesk.store.transactions import on_commit, serialized

from .. import audit
from ..errors import (
    WebhookDeliveryNotFailed,
    WebhookDeliveryNotFound,
    WebhookDescriptionTooLong,
    WebhookEventsInvalid,
    WebhookNotFound,
    WebhookUrlInvalid,
)
from ..principals import Principal
from .outbox import forget_subscriptions, wake_after_commit

__all__ = [
    "CreatedWebhook",
    "DeliveryView",
    "WebhookView",
    "all_webhooks",
    "create_webhook",
    "delete_webhook",
    "list_deliveries",
    "list_webhooks",
    "retry_delivery",
    "update_webhook",
]

MAX_DESCRIPTION = 200
SECRET_BYTES = 32  # the HMAC key's length (24 to 64 bytes per Standard Webhooks)


class WebhookView(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
    pending: int = 0
    failed: int = 0


class CreatedWebhook(WebhookView):
    secret: str  # whsec_…: shown once, at creation


class DeliveryView(BaseModel):
    id: int
    webhook_id: int
    message_id: str
    event: str
    status: str
    status_title: str
    attempts: int
    response_status: int | None
    error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None


def _view(row: WebhookSubscription, counts: dict[str, int] | None = None) -> WebhookView:
    counts = counts or {}
    return WebhookView(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        pending=counts.get(DeliveryStatus.PENDING.value, 0),
        failed=counts.get(DeliveryStatus.FAILED.value, 0),
    )


def _delivery_view(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        webhook_id=row.subscription_id,
        message_id=row.message_id,
        event=row.event,
        status=row.status,
        status_title=DELIVERY_STATUS_TITLES_RU[DeliveryStatus(row.status)],
        attempts=row.attempts,
        response_status=row.response_status,
        error=row.error,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
        delivered_at=row.delivered_at,
        failed_at=row.failed_at,
    )


def _admin(principal: Principal) -> None:
    principal.require_operator(Role.ADMIN)


def _url(url: str) -> str:
    url = url.strip()
    problem = rules.url_problem(url)
    if problem is not None:
        raise WebhookUrlInvalid(reason=problem, fields=["url"])
    return url


def _events(names: Sequence[str]) -> list[str]:
    try:
        return [e.value for e in rules.parse_events(names)]
    except rules.UnknownEvents as exc:
        known = ", ".join(e.value for e in WebhookEvent)
        raise WebhookEventsInvalid(
            known=known, unknown=", ".join(exc.names) or "—", fields=["events"]
        ) from None


def _description(text: str | None) -> str | None:
    text = (text or "").strip() or None
    if text is not None and len(text) > MAX_DESCRIPTION:
        raise WebhookDescriptionTooLong(limit=MAX_DESCRIPTION, fields=["description"])
    return text


async def _load(session: AsyncSession, webhook_id: int) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, webhook_id)
    if row is None:
        raise WebhookNotFound(webhook_id=webhook_id)
    return row


@serialized
async def create_webhook(
    session: AsyncSession,
    principal: Principal,
    *,
    url: str,
    events: Sequence[str],
    description: str | None = None,
) -> CreatedWebhook:
    """Subscribe ``url`` to ``events``; the answer's ``secret`` (``whsec_…``) signs every
    delivery and is not shown again."""
    _admin(principal)
    now = utcnow()
    row = WebhookSubscription(
        url=_url(url),
        events=_events(events),
        secret=rules.encode_secret(secrets.token_bytes(SECRET_BYTES)),
        description=_description(description),
        active=True,
        created_by_id=int(principal.id),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        principal,
        "webhook.created",
        entity_kind="webhook",
        entity_id=row.id,
        url=row.url,
        events=row.events,
    )
    on_commit(session, forget_subscriptions)  # this process reads them again
    await session.commit()
    return CreatedWebhook(**_view(row).model_dump(), secret=row.secret)


async def _counts(session: AsyncSession) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {}
    rows = await session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.status != DeliveryStatus.DELIVERED.value)
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)
    )
    for sid, status, count in rows:
        result.setdefault(int(sid), {})[str(status)] = int(count)
    return result


async def list_webhooks(session: AsyncSession, principal: Principal) -> list[WebhookView]:
    """Every subscription (no secrets), with how many deliveries wait and how many died."""
    _admin(principal)
    return await all_webhooks(session)


async def all_webhooks(session: AsyncSession) -> list[WebhookView]:
    """:func:`list_webhooks` for the server's own command line (``marketdesk webhooks
    list``: whoever runs it holds the database already)."""
    rows = list(await session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
    counts = await _counts(session)
    return [_view(row, counts.get(row.id)) for row in rows]


@serialized
async def update_webhook(
    session: AsyncSession,
    principal: Principal,
    webhook_id: int,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookView:
    """Change what is given; ``active`` false pauses (no new events; what waits, waits),
    true resumes."""
    _admin(principal)
    row = await _load(session, webhook_id)
    changed: dict[str, object] = {}
    if url is not None:
        row.url = changed["url"] = _url(url)
    if events is not None:
        row.events = _events(events)
        changed["events"] = row.events
    if description is not None:
        row.description = _description(description)
        changed["description"] = row.description
    if active is not None:
        row.active = changed["active"] = active
    row.updated_at = utcnow()
    audit.record(
        session, principal, "webhook.updated", entity_kind="webhook", entity_id=row.id, **changed
    )
    view = _view(row, (await _counts(session)).get(row.id))
    if active:
        on_commit(session, wake_after_commit)
    on_commit(session, forget_subscriptions)  # this process reads them again
    await session.commit()
    return view


@serialized
async def delete_webhook(session: AsyncSession, principal: Principal, webhook_id: int) -> None:
    """The subscription goes, with its delivery log and whatever it had pending."""
    _admin(principal)
    row = await _load(session, webhook_id)
    audit.record(
        session, principal, "webhook.deleted", entity_kind="webhook", entity_id=row.id, url=row.url
    )
    await session.delete(row)
    on_commit(session, forget_subscriptions)  # this process reads them again
    await session.commit()


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    webhook_id: int,
    *,
    status: DeliveryStatus | None = None,
    limit: int = 100,
) -> list[DeliveryView]:
    """A subscription's delivery log, the newest first."""
    _admin(principal)
    await _load(session, webhook_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    rows = await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [_delivery_view(row) for row in rows]


@serialized
async def retry_delivery(
    session: AsyncSession, principal: Principal, delivery_id: int
) -> DeliveryView:
    """A dead letter is due again, with a fresh count of tries (the same ``webhook-id``)."""
    _admin(principal)
    row = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise WebhookDeliveryNotFound(delivery_id=delivery_id)
    if row.status != DeliveryStatus.FAILED.value:
        raise WebhookDeliveryNotFailed()
    row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING.value, 0, None
    row.error, row.failed_at = None, None
    audit.record(
        session,
        principal,
        "webhook.delivery_retried",
        entity_kind="webhook_delivery",
        entity_id=row.id,
    )
    view = _delivery_view(row)
    on_commit(session, wake_after_commit)
    await session.commit()
    return view
