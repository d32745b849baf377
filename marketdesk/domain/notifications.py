"""The notification catalogue: what a marketplace sends its customers, through which channels,
from which official sender, and what the customer may switch off. Pure rules, no I/O.

Seed 000 («Рассылки»): «Существуют разные типы уведомлений … Уведомления по заказам;
Уведомления по товарам; Маркетинговые рассылки; Новые отзывы о товаре; Уведомления о
регистрационных данных; Оценка сервиса» and «каналы коммуникации: SMS, Push-уведомления,
Центр нотификаций, Email, Vkontakte (VK), Одноклассники (OK)». The senders: «mailer@ozon.ru —
уведомления о доставке заказа и о входе в аккаунт, news@news.ozon.ru — рассылка с акциями,
noreply@ozon.ru — чеки по заказу»: a type names a sender's role (:mod:`marketdesk.domain.senders`),
whose address comes from the one list of official senders that the phishing check uses too.

What the seed does not say is marked as a choice here: the seed names no sender for goods,
reviews and the service survey (they come from mailer@, the address of notifications), and
gives no default channels («каналы коммуникации подбираете исходя из ситуации»); the defaults
below are a starting point the customer changes in their settings.

The names of types and channels are a contract (API, database, template file names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .senders import SenderRole

__all__ = [
    "CATALOGUE",
    "CHANNEL_TITLES_RU",
    "EVENTS",
    "MARKETING_SENDER",
    "NOTIFICATIONS_SENDER",
    "NOTIFICATION_STATUSES",
    "NOTIFICATION_TYPES",
    "RECEIPTS_SENDER",
    "EventSpec",
    "NotificationChannel",
    "NotificationStatus",
    "NotificationType",
    "SettingRefused",
    "TypeSpec",
    "apply_settings",
    "backoff",
    "effective_channels",
    "event_channels",
    "normalize_email",
    "quiet_until",
]


class NotificationType(StrEnum):
    ORDERS = "orders"
    GOODS = "goods"
    MARKETING = "marketing"
    REVIEWS = "reviews"
    ACCOUNT = "account"  # registration data and login codes
    SERVICE_RATING = "service_rating"


class NotificationChannel(StrEnum):
    SMS = "sms"
    PUSH = "push"
    CENTER = "center"
    EMAIL = "email"
    VK = "vk"
    OK = "ok"


class NotificationStatus(StrEnum):
    """queued: waiting (or retrying, with the last error); sent: the provider took it;
    delivered: the provider reported delivery; failed: gave up (dead letter, with the reason);
    expired: no longer of use (a login code past its lifetime), never sent."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"


NOTIFICATION_TYPES: Final = tuple(t.value for t in NotificationType)
NOTIFICATION_STATUSES: Final = tuple(s.value for s in NotificationStatus)

NOTIFICATIONS_SENDER: Final = SenderRole.NOTIFICATIONS
"""Seed 000: deliveries and logins (mailer@ by default)."""
MARKETING_SENDER: Final = SenderRole.MARKETING
"""Seed 000: promotions (news@news. by default)."""
RECEIPTS_SENDER: Final = SenderRole.RECEIPTS
"""Seed 000: receipts of an order (noreply@ by default)."""

CHANNEL_TITLES_RU: Final = MappingProxyType(
    {
        NotificationChannel.SMS: "SMS",
        NotificationChannel.PUSH: "Push-уведомления",
        NotificationChannel.CENTER: "Центр нотификаций",
        NotificationChannel.EMAIL: "Email",
        NotificationChannel.VK: "ВКонтакте",
        NotificationChannel.OK: "Одноклассники",
    }
)

_C = NotificationChannel


@dataclass(frozen=True, slots=True)
class TypeSpec:
    type: NotificationType
    title_ru: str
    sender: SenderRole
    """Whose address the e-mail comes from (the official senders' list)."""
    default_channels: frozenset[NotificationChannel]
    optional: bool
    """The customer may switch every channel off (otherwise at least one stays on)."""
    urgent: bool
    """Sent at once, even in the customer's quiet hours."""


CATALOGUE: Final[Mapping[NotificationType, TypeSpec]] = MappingProxyType(
    {
        spec.type: spec
        for spec in (
            TypeSpec(
                NotificationType.ORDERS,
                "Уведомления по заказам",
                NOTIFICATIONS_SENDER,
                frozenset({_C.SMS, _C.PUSH, _C.CENTER, _C.EMAIL}),
                optional=False,
                urgent=True,
            ),
            TypeSpec(
                NotificationType.GOODS,
                "Уведомления по товарам",
                NOTIFICATIONS_SENDER,
                frozenset({_C.PUSH, _C.CENTER, _C.EMAIL}),
                optional=True,
                urgent=False,
            ),
            TypeSpec(
                NotificationType.MARKETING,
                "Маркетинговые рассылки",
                MARKETING_SENDER,
                frozenset({_C.PUSH, _C.EMAIL}),
                optional=True,
                urgent=False,
            ),
            TypeSpec(
                NotificationType.REVIEWS,
                "Новые отзывы о товаре",
                NOTIFICATIONS_SENDER,
                frozenset({_C.CENTER, _C.EMAIL}),
                optional=True,
                urgent=False,
            ),
            TypeSpec(
                NotificationType.ACCOUNT,
                "Уведомления о регистрационных данных",
                NOTIFICATIONS_SENDER,
                frozenset({_C.SMS, _C.CENTER, _C.EMAIL}),
                optional=False,
                urgent=True,
            ),
            TypeSpec(
                NotificationType.SERVICE_RATING,
                "Оценка сервиса",
                NOTIFICATIONS_SENDER,
                frozenset({_C.CENTER, _C.EMAIL}),
                optional=True,
                urgent=False,
            ),
        )
    }
)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event of marketdesk that raises a notification of ``type``."""

    event: str
    type: NotificationType
    secret: bool = False
    """The text carries a secret (a code): wiped once sent, never shown."""
    lifetime: timedelta | None = None
    """Not sent after this (the code is void): the notification expires."""
    sender: SenderRole | None = None
    """Overrides the type's sender."""
    channels: frozenset[NotificationChannel] | None = None
    """Only these channels, whatever the type's defaults (each unless the customer switched
    it off for the type); None: the type's channels."""


EVENTS: Final[Mapping[str, EventSpec]] = MappingProxyType(
    {
        spec.event: spec
        for spec in (
            EventSpec(
                "login_code",
                NotificationType.ACCOUNT,
                secret=True,
                lifetime=timedelta(minutes=5),  # the code's own lifetime (customer_login)
            ),
            # a certificate's code not sent within a week is wiped: issue another
            EventSpec(
                "certificate_issued",
                NotificationType.ACCOUNT,
                secret=True,
                lifetime=timedelta(days=7),
            ),
            EventSpec("certificate_activated", NotificationType.ACCOUNT),
            EventSpec("withdrawal_created", NotificationType.ACCOUNT),
            EventSpec("order_receipt", NotificationType.ORDERS, sender=RECEIPTS_SENDER),
            EventSpec("order_status_changed", NotificationType.ORDERS),
            EventSpec("promotion", NotificationType.MARKETING),
            # «Оценка сервиса»: the invitation to rate a resolved conversation
            EventSpec("service_rating_survey", NotificationType.SERVICE_RATING),
            # a back-office task's result when the task has no conversation: by what it is
            # about (an order, a product, else the customer's account)
            EventSpec("task_result_order", NotificationType.ORDERS),
            EventSpec("task_result_goods", NotificationType.GOODS),
            EventSpec("task_result", NotificationType.ACCOUNT),
            # an operator answered in the web chat while the customer was away: e-mail or
            # push after a delay, once per conversation until they come back (their own
            # conversation with support, like their account's messages)
            EventSpec(
                "operator_reply",
                NotificationType.ACCOUNT,
                channels=frozenset({NotificationChannel.EMAIL, NotificationChannel.PUSH}),
            ),
        )
    }
)


class SettingRefused(ValueError):
    """A change of settings that would switch a mandatory type off everywhere."""

    def __init__(self, type_: NotificationType) -> None:
        super().__init__(type_.value)
        self.type = type_


def event_channels(
    spec: EventSpec, overrides: Mapping[NotificationChannel, bool]
) -> frozenset[NotificationChannel]:
    """The channels an event goes through: the type's (:func:`effective_channels`), or the
    event's own less those the customer switched off for the type."""
    if spec.channels is None:
        return effective_channels(spec.type, overrides)
    return frozenset(c for c in spec.channels if overrides.get(c, True))


def effective_channels(
    type_: NotificationType, overrides: Mapping[NotificationChannel, bool]
) -> frozenset[NotificationChannel]:
    """The channels a type goes through: its defaults, changed by the customer's choices."""
    chosen = set(CATALOGUE[type_].default_channels)
    for channel, enabled in overrides.items():
        if enabled:
            chosen.add(channel)
        else:
            chosen.discard(channel)
    return frozenset(chosen)


def apply_settings(
    current: Mapping[NotificationType, Mapping[NotificationChannel, bool]],
    changes: Iterable[tuple[NotificationType, NotificationChannel, bool]],
) -> dict[NotificationType, dict[NotificationChannel, bool]]:
    """The customer's overrides after ``changes``; raises :class:`SettingRefused` if a type
    that cannot be switched off would be left on no channel."""
    result = {t: dict(v) for t, v in current.items()}
    for type_, channel, enabled in changes:
        result.setdefault(type_, {})[channel] = enabled
    for type_, overrides in result.items():
        if not CATALOGUE[type_].optional and not effective_channels(type_, overrides):
            raise SettingRefused(type_)
    return result


def backoff(attempts: int, *, base: float, cap: float, jitter: float) -> timedelta:
    """The pause before try ``attempts + 1``: exponential (``base * 2**(attempts-1)``, at most
    ``cap`` seconds), times ``1 + jitter`` where ``jitter`` in [0, 1) comes from the caller
    (random in production: the retries of many notifications do not come back together)."""
    seconds = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=seconds * (1 + jitter))


def quiet_until(local: datetime, *, start: time, end: time) -> datetime | None:
    """If the customer's local time ``local`` is in the quiet hours (``start``..``end``,
    across midnight when ``start > end``), the local time they end; else ``None``."""
    now = local.time()
    if start == end:
        return None
    if start < end:
        inside = start <= now < end
        day = local.date()
    else:
        inside = now >= start or now < end
        day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    return datetime.combine(day, end, tzinfo=local.tzinfo)


_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]{1,64}@[A-Za-z0-9А-Яа-яЁё-]+(\.[A-Za-z0-9А-Яа-яЁё-]+)+")


def normalize_email(raw: str) -> str | None:
    """A plain address (``ivan@example.ru``), the domain lower-cased; ``None`` if it is not
    one (no display names, no lists: an address to send one notification to)."""
    address = raw.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        return None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
