"""Refusals of the notifications: the customer's settings and the unsubscribe link."""

from __future__ import annotations

from .base import InvalidInput
from .refusals import WithdrawalByCustomerOnly

__all__ = [
    "EmailElectronicOnly",
    "InvalidEmail",
    "InvalidUnsubscribeLink",
    "NotificationSettingsCustomerOnly",
    "NotificationTypeRequired",
]


class NotificationTypeRequired(InvalidInput):
    """A type the customer may not switch off everywhere (``title``: its name in the
    catalogue)."""

    code = "notification_required"
    template = "«{title}» нельзя отключить во всех каналах: оставьте включённым хотя бы один канал."


class NotificationSettingsCustomerOnly(WithdrawalByCustomerOnly):
    template = "Настройки уведомлений есть только у покупателя в личном кабинете."


class InvalidUnsubscribeLink(InvalidInput):
    code = "invalid_unsubscribe_link"
    template = (
        "Ссылка для отписки недействительна. Отключите рассылку в настройках уведомлений "
        "личного кабинета."
    )


class InvalidEmail(InvalidInput):
    code = "invalid_email"
    template = "Укажите адрес электронной почты полностью, например ivan@example.ru."


class EmailElectronicOnly(InvalidInput):
    code = "email_electronic_only"
    template = "По электронной почте отправляется только электронный сертификат."
