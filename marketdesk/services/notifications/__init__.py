"""Notifications: the catalogue's types raised by marketdesk's events, written to a durable
transactional outbox (``notify`` in the caller's transaction) and delivered after commit by
workers through the channels' adapters; the customers' settings; the delivery log.

One module per job: ``outbox.py`` (:func:`notify`), ``delivery.py`` (:func:`deliver_due`,
claiming, retries, dead letters), ``templates.py`` (the Russian texts, files read at each
notification), ``preferences.py`` (settings, the one-click unsubscribe), ``log.py`` (what
staff read), ``ports.py`` (the adapters' one interface), ``policy.py`` (the settings)."""

from __future__ import annotations

from .delivery import deliver_due, expire_stale, unsubscribe_token
from .log import ChannelStats, DeliveryLog, LogEntry, channel_stats, customer_log, mask_address
from .outbox import Recipient, notify
from .policy import NotifyPolicy
from .ports import DeliveryRefused, NotificationSender, OutgoingNotification
from .preferences import (
    SettingItem,
    SettingsView,
    Unsubscribed,
    change_settings,
    customer_settings,
    my_settings,
    unsubscribe,
)

__all__ = [
    "ChannelStats",
    "DeliveryLog",
    "DeliveryRefused",
    "LogEntry",
    "NotificationSender",
    "NotifyPolicy",
    "OutgoingNotification",
    "Recipient",
    "SettingItem",
    "SettingsView",
    "Unsubscribed",
    "change_settings",
    "channel_stats",
    "customer_log",
    "customer_settings",
    "deliver_due",
    "expire_stale",
    "mask_address",
    "my_settings",
    "notify",
    "unsubscribe",
    "unsubscribe_token",
]
