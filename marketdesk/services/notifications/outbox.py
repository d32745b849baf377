"""Raising a notification: :func:`notify` writes its rows (one per channel) in the caller's
transaction, so they commit with the event that caused them or not at all (a transactional
outbox); the worker delivers them after (``delivery.py``).

A customer's notification goes through the channels their settings leave on (the catalogue's
defaults, changed by their choices), those that have an adapter here
(``MARKETDESK_NOTIFY_CHANNELS``) and those the customer has an address for. A notification
to an explicit address (a login code to the phone that asked for it, a certificate to the
address staff typed) goes there whatever the settings. A non-urgent type raised in the
customer's quiet hours waits until they end, in the customer's time zone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import notifications as rules
from marketdesk.domain.notifications import (
    CATALOGUE,
    EVENTS,
    EventSpec,
    NotificationChannel,
    NotificationStatus,
    NotificationType,
)
from marketdesk.store.models import (
    ChannelContact,
    Customer,
    Notification,
    NotificationSetting,
    utcnow,
)
from marketdesk.store.transactions import on_commit

from .policy import NotifyPolicy
from .push import has_push
from .templates import TemplateMissing, render, template_name

__all__ = ["Recipient", "customer_address", "notify", "on_raised", "overrides_of"]

log = logging.getLogger("marketdesk.notifications")


_listeners: list[Callable[[], None]] = []
_LIVE = (NotificationChannel.CENTER.value, NotificationChannel.PUSH.value)
"""Channels a customer expects at once (the widget's bell, the browser): their rows wake
the worker; the rest wait for its tick (a login code is sent by its own request)."""


def on_raised(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` (a worker's ``wake``) after a transaction that raised a notification
    for the centre or push in this process commits; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


async def _wake() -> None:
    for listener in list(_listeners):
        listener()


@dataclass(frozen=True, slots=True)
class Recipient:
    """An explicit address for one channel."""

    channel: NotificationChannel
    address: str


async def overrides_of(
    session: AsyncSession, customer_id: int
) -> dict[NotificationType, dict[NotificationChannel, bool]]:
    rows = await session.scalars(
        select(NotificationSetting).where(NotificationSetting.customer_id == customer_id)
    )
    out: dict[NotificationType, dict[NotificationChannel, bool]] = {}
    for row in rows:
        out.setdefault(NotificationType(row.type), {})[NotificationChannel(row.channel)] = (
            row.enabled
        )
    return out


def customer_address(customer_id: int) -> str:
    """The address of a push or centre notification: the customer (every browser they have
    when it is delivered; their widget)."""
    return f"customer:{customer_id}"


async def _address(
    session: AsyncSession, customer: Customer, channel: NotificationChannel
) -> str | None:
    if channel is NotificationChannel.SMS:
        return customer.phone
    if channel is NotificationChannel.EMAIL:
        return customer.email
    if channel is NotificationChannel.CENTER:
        return customer_address(customer.id)
    if channel is NotificationChannel.PUSH and await has_push(session, customer.id):
        return customer_address(customer.id)
    if channel is NotificationChannel.VK:  # the peer id they last wrote to the community from
        found = await session.scalar(
            select(ChannelContact.address)
            .where(
                ChannelContact.customer_id == customer.id,
                ChannelContact.channel == NotificationChannel.VK.value,
            )
            .order_by(ChannelContact.last_seen_at.desc(), ChannelContact.id.desc())
            .limit(1)
        )
        return str(found) if found else None
    return None  # OK: no adapter yet


def _not_before(
    customer: Customer | None, type_: NotificationType, now: datetime, policy: NotifyPolicy
) -> datetime | None:
    if customer is None or CATALOGUE[type_].urgent:
        return None
    try:
        zone = ZoneInfo(customer.timezone or "Europe/Moscow")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Moscow")
    end = rules.quiet_until(now.astimezone(zone), start=policy.quiet_start, end=policy.quiet_end)
    return None if end is None else end.astimezone(now.tzinfo)


async def _targets(
    session: AsyncSession,
    customer: Customer | None,
    spec: EventSpec,
    to: Recipient | None,
    policy: NotifyPolicy,
) -> list[tuple[NotificationChannel, str]]:
    if to is not None:
        return [(to.channel, to.address)]
    if customer is None:
        return []
    overrides = (await overrides_of(session, customer.id)).get(spec.type, {})
    chosen = rules.event_channels(spec, overrides) & policy.channels
    if spec.secret:  # a code never waits in a list or on a lock screen
        chosen -= {NotificationChannel.PUSH, NotificationChannel.CENTER}
    out = []
    for channel in sorted(chosen):
        address = await _address(session, customer, channel)
        if address:
            out.append((channel, address))
    return out


async def notify(
    session: AsyncSession,
    *,
    event: str,
    data: Mapping[str, object],
    idempotency_key: str,
    customer_id: int | None = None,
    to: Recipient | None = None,
    now: datetime | None = None,
    policy: NotifyPolicy | None = None,
) -> list[Notification]:
    """Write the notification of ``event`` (a key of :data:`domain.notifications.EVENTS`)
    into the session's transaction (not committed here); the rows written. The same
    ``idempotency_key`` again writes nothing new and returns the rows of the first call."""
    spec = EVENTS[event]
    policy = policy or NotifyPolicy.from_settings()
    now = now or utcnow()
    customer = await session.get(Customer, customer_id) if customer_id is not None else None
    existing = list(
        await session.scalars(
            select(Notification).where(
                Notification.idempotency_key.in_(
                    [f"{idempotency_key}:{c.value}" for c in NotificationChannel]
                )
            )
        )
    )
    if existing:
        return existing
    type_spec = CATALOGUE[spec.type]
    not_before = _not_before(customer, spec.type, now, policy)
    rows = []
    for channel, address in await _targets(session, customer, spec, to, policy):
        row = Notification(
            customer_id=customer_id,
            type=spec.type.value,
            event=event,
            channel=channel.value,
            address=address,
            sender=policy.senders.address(spec.sender or type_spec.sender)
            if channel is NotificationChannel.EMAIL
            else None,
            template=template_name(spec.type.value, event, channel.value),
            secret=spec.secret,
            status=NotificationStatus.QUEUED.value,
            attempts=0,
            next_attempt_at=not_before,
            expires_at=now + spec.lifetime if spec.lifetime else None,
            idempotency_key=f"{idempotency_key}:{channel.value}",
            created_at=now,
        )
        try:
            rendered = render(
                policy.templates_dir,
                spec.type.value,
                event,
                channel.value,
                data,
                policy.templates_overlay,
            )
        except TemplateMissing as exc:  # the event still happens; the log says why
            log.error("notification template unusable: %s", exc)
            row.status = NotificationStatus.FAILED.value
            row.error = f"шаблон не найден или неполон: {exc}"[:500]
            row.failed_at = now
        else:
            row.subject, row.body, row.template = rendered.subject, rendered.body, rendered.name
        session.add(row)
        rows.append(row)
    if _listeners and any(row.channel in _LIVE for row in rows):
        on_commit(session, _wake)
    return rows
