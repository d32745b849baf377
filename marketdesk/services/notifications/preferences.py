"""The customer's notification settings: per type and channel, on or off (absent: the
catalogue's default). A type the customer may not switch off (orders, account) keeps at least
one channel; a marketing e-mail's one-click link switches marketing off without a login."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import notifications as rules
from marketdesk.domain.notifications import (
    CATALOGUE,
    NotificationChannel,
    NotificationType,
)
from marketdesk.store.models import Customer, NotificationSetting, utcnow
from marketdesk.store.transactions import serialized

from .. import audit
from ..errors import (
    CustomerNotFound,
    InvalidUnsubscribeLink,
    NotificationSettingsCustomerOnly,
    NotificationTypeRequired,
)
from ..principals import Principal
from .delivery import unsubscribe_token
from .outbox import overrides_of

__all__ = [
    "SettingItem",
    "SettingsView",
    "Unsubscribed",
    "change_settings",
    "customer_settings",
    "my_settings",
    "unsubscribe",
]


class SettingItem(BaseModel):
    type: NotificationType
    channel: NotificationChannel
    enabled: bool


class SettingView(SettingItem):
    type_title: str
    channel_title: str
    can_disable: bool
    """Whether the type may be switched off everywhere (marketing, reviews …)."""


class SettingsView(BaseModel):
    settings: list[SettingView]


class Unsubscribed(BaseModel):
    status: str = "unsubscribed"
    message: str


def _view(overrides: dict[NotificationType, dict[NotificationChannel, bool]]) -> SettingsView:
    items = []
    for type_, spec in CATALOGUE.items():
        on = rules.effective_channels(type_, overrides.get(type_, {}))
        for channel in NotificationChannel:
            items.append(
                SettingView(
                    type=type_,
                    channel=channel,
                    enabled=channel in on,
                    type_title=spec.title_ru,
                    channel_title=rules.CHANNEL_TITLES_RU[channel],
                    can_disable=spec.optional,
                )
            )
    return SettingsView(settings=items)


def _customer_of(principal: Principal) -> int:
    if principal.kind != "customer":
        raise NotificationSettingsCustomerOnly()
    return int(principal.id)


async def my_settings(session: AsyncSession, principal: Principal) -> SettingsView:
    return _view(await overrides_of(session, _customer_of(principal)))


async def customer_settings(
    session: AsyncSession, principal: Principal, customer_id: int
) -> SettingsView:
    """What an operator sees in the customer's card."""
    principal.require_operator()
    if await session.get(Customer, customer_id) is None:
        raise CustomerNotFound(customer_id=customer_id)
    return _view(await overrides_of(session, customer_id))


async def _store(
    session: AsyncSession,
    customer_id: int,
    changes: Iterable[tuple[NotificationType, NotificationChannel, bool]],
) -> dict[NotificationType, dict[NotificationChannel, bool]]:
    changes = list(changes)
    current = await overrides_of(session, customer_id)
    try:
        result = rules.apply_settings(current, changes)
    except rules.SettingRefused as refused:
        await session.rollback()
        raise NotificationTypeRequired(title=CATALOGUE[refused.type].title_ru) from None
    await session.execute(
        delete(NotificationSetting).where(NotificationSetting.customer_id == customer_id)
    )
    now = utcnow()
    for type_, overrides in result.items():
        defaults = CATALOGUE[type_].default_channels
        for channel, enabled in overrides.items():
            if enabled != (channel in defaults):  # only what differs from the default
                session.add(
                    NotificationSetting(
                        customer_id=customer_id,
                        type=type_.value,
                        channel=channel.value,
                        enabled=enabled,
                        updated_at=now,
                    )
                )
    return result


@serialized
async def change_settings(
    session: AsyncSession, principal: Principal, items: Iterable[SettingItem]
) -> SettingsView:
    """Apply the customer's changes (all or none)."""
    customer_id = _customer_of(principal)
    changes = [(item.type, item.channel, item.enabled) for item in items]
    result = await _store(session, customer_id, changes)
    audit.record(
        session,
        principal,
        "notifications.settings_changed",
        entity_kind="customer",
        entity_id=customer_id,
        changes=[f"{t.value}/{c.value}={'on' if e else 'off'}" for t, c, e in changes],
    )
    await session.commit()
    return _view(result)


@serialized
async def unsubscribe(session: AsyncSession, token: str, *, secret: bytes) -> Unsubscribed:
    """The one-click link of a marketing e-mail (RFC 8058): no login, the signed token says
    who and what; marketing goes off on every channel."""
    customer_part, _, rest = token.partition(".")
    type_part, _, _ = rest.partition(".")
    if not customer_part.isdigit() or type_part not in CATALOGUE or len(customer_part) > 19:
        raise InvalidUnsubscribeLink()
    customer_id = int(customer_part)
    expected = unsubscribe_token(secret, customer_id, type_part)
    type_ = NotificationType(type_part)
    if not hmac.compare_digest(expected, token) or not CATALOGUE[type_].optional:
        raise InvalidUnsubscribeLink()
    if await session.get(Customer, customer_id) is None:
        raise InvalidUnsubscribeLink()
    await _store(session, customer_id, [(type_, channel, False) for channel in NotificationChannel])
    audit.record(
        session,
        None,
        "notifications.unsubscribed",
        entity_kind="customer",
        entity_id=customer_id,
        type=type_.value,
    )
    await session.commit()
    return Unsubscribed(
        message=f"Вы отписались: «{CATALOGUE[type_].title_ru}» больше не будут приходить. "
        "Включить их снова можно в настройках уведомлений личного кабинета."
    )
