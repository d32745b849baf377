"""Notifications: the catalogue's types raised by marketdesk's events, written to a durable
transactional outbox (``notify`` in the caller's transaction) and delivered after commit by
workers through the channels' adapters; the customers' settings; the delivery log.

One module per job: ``outbox.py`` (:func:`notify`), ``delivery.py`` (:func:`deliver_due`,
claiming, retries, dead letters), ``templates.py`` (the Russian texts, files read at each
notification), ``preferences.py`` (settings, the one-click unsubscribe), ``log.py`` (what
staff read), ``ports.py`` (the adapters' one interface), ``policy.py`` (the settings), ``push.py``
(the customers' Web Push subscriptions), ``vapid.py`` (the server's VAPID keys),
``centre.py`` (the notification centre: the widget's list, unread, read), ``reports.py``
(the providers' delivery reports), ``offline.py`` (an operator's reply to a customer away
from the chat)."""

from __future__ import annotations

from .centre import CentreItem, CentreView, centre_frame, customer_channel, mark_read, my_centre
from .delivery import deliver_due, expire_stale, unsubscribe_token
from .log import ChannelStats, DeliveryLog, LogEntry, channel_stats, customer_log, mask_address
from .offline import customer_seen, presence_interval, raise_offline_replies
from .outbox import Recipient, customer_address, notify, on_raised
from .policy import NotifyPolicy
from .ports import (
    DeliveryRefused,
    NotificationSender,
    OutgoingNotification,
    PushTarget,
    SendReport,
)
from .preferences import (
    SettingItem,
    SettingsView,
    Unsubscribed,
    change_settings,
    customer_settings,
    my_settings,
    unsubscribe,
)
from .push import PushSubscriptionIn, has_push, remove_subscription, save_subscription
from .reports import ReportOutcome, report_signature, sms_report
from .vapid import VapidKeys, vapid_keys

__all__ = [
    "CentreItem",
    "CentreView",
    "ChannelStats",
    "DeliveryLog",
    "DeliveryRefused",
    "LogEntry",
    "NotificationSender",
    "NotifyPolicy",
    "OutgoingNotification",
    "PushSubscriptionIn",
    "PushTarget",
    "Recipient",
    "ReportOutcome",
    "SendReport",
    "SettingItem",
    "SettingsView",
    "Unsubscribed",
    "VapidKeys",
    "centre_frame",
    "change_settings",
    "channel_stats",
    "customer_address",
    "customer_channel",
    "customer_log",
    "customer_seen",
    "customer_settings",
    "deliver_due",
    "expire_stale",
    "has_push",
    "mark_read",
    "mask_address",
    "my_centre",
    "my_settings",
    "notify",
    "on_raised",
    "presence_interval",
    "raise_offline_replies",
    "remove_subscription",
    "report_signature",
    "save_subscription",
    "sms_report",
    "unsubscribe",
    "unsubscribe_token",
    "vapid_keys",
]
