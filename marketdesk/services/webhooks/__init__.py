"""Events out (issue 16): signed webhooks through a transactional outbox.

``outbox.py`` raises an event in the caller's transaction (:func:`emit`), ``payloads.py``
says what each event tells, ``delivery.py`` sends the outbox in order (the worker's round),
``subscriptions.py`` is the admins' side (subscriptions, the delivery log, a manual retry).
The rules (event names, signing, the URL check) are ``domain.webhooks``."""

from __future__ import annotations

from .delivery import Poster, PostFailed, WebhookPolicy, deliver_due
from .outbox import (
    Data,
    alone_where_unwanted,
    body_of,
    emit,
    emit_sync,
    forget_subscriptions,
    on_emitted,
    unwanted,
    wake_after_commit,
)
from .outbox import configure as configure_subscriptions_cache
from .retention import forget_customer_events, prune_log
from .subscriptions import (
    CreatedWebhook,
    DeliveryView,
    WebhookView,
    all_webhooks,
    create_webhook,
    delete_webhook,
    list_deliveries,
    list_webhooks,
    retry_delivery,
    update_webhook,
)

__all__ = [
    "CreatedWebhook",
    "Data",
    "DeliveryView",
    "PostFailed",
    "Poster",
    "WebhookPolicy",
    "WebhookView",
    "all_webhooks",
    "alone_where_unwanted",
    "body_of",
    "configure_subscriptions_cache",
    "create_webhook",
    "delete_webhook",
    "deliver_due",
    "emit",
    "emit_sync",
    "forget_customer_events",
    "forget_subscriptions",
    "list_deliveries",
    "list_webhooks",
    "on_emitted",
    "prune_log",
    "retry_delivery",
    "unwanted",
    "update_webhook",
    "wake_after_commit",
]
