"""Refusals of the webhooks (events out): the admins' subscriptions and their delivery log."""

from __future__ import annotations

from .base import Conflict, InvalidInput, NotFound

__all__ = [
    "WebhookDeliveryNotFailed",
    "WebhookDeliveryNotFound",
    "WebhookDescriptionTooLong",
    "WebhookEventsInvalid",
    "WebhookNotFound",
    "WebhookUrlInvalid",
]


class WebhookUrlInvalid(InvalidInput):
    code = "webhook_url_invalid"
    template = "Адрес вебхука не подходит: {reason}."


class WebhookEventsInvalid(InvalidInput):
    code = "webhook_events_invalid"
    template = "Укажите хотя бы одно событие из списка: {known}. Неизвестные: {unknown}."


class WebhookDescriptionTooLong(InvalidInput):
    code = "webhook_description_too_long"
    template = "Описание вебхука — не длиннее {limit} символов."


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    template = "Вебхук {webhook_id} не найден."


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    template = "Доставка вебхука {delivery_id} не найдена."


class WebhookDeliveryNotFailed(Conflict):
    code = "webhook_delivery_not_failed"
    template = "Повторить можно только недоставленное событие: это ещё в очереди или доставлено."
