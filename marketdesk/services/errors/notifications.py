"""Refusals of the notifications: the customer's settings and the unsubscribe link."""

from __future__ import annotations

from .base import InvalidInput, NotFound, PermissionDenied
from .refusals import WithdrawalByCustomerOnly

__all__ = [
    "CentreItemNotFound",
    "EmailElectronicOnly",
    "InvalidEmail",
    "InvalidUnsubscribeLink",
    "NotificationSettingsCustomerOnly",
    "NotificationTypeRequired",
    "NotificationsCustomerOnly",
    "PushSubscriptionInvalid",
    "SmsReportInvalid",
    "SmsReportSignatureMismatch",
    "SmsReportUnknown",
    "SmsReportsOff",
    "UnknownOrderStatus",
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


class NotificationsCustomerOnly(WithdrawalByCustomerOnly):
    template = "Уведомления приходят только покупателю, вошедшему в личный кабинет."


class PushSubscriptionInvalid(InvalidInput):
    code = "invalid_push_subscription"
    template = (
        "Браузер прислал неполную подписку на уведомления. Обновите страницу и разрешите "
        "уведомления ещё раз."
    )


class CentreItemNotFound(NotFound):
    code = "notification_not_found"
    template = "Уведомление №{notification_id} не найдено."


class UnknownOrderStatus(InvalidInput):
    """The order feed named a status marketdesk does not know (``allowed``: the known)."""

    code = "unknown_order_status"
    template = "Неизвестный статус заказа. Допустимые статусы: {allowed}."


class SmsReportsOff(NotFound):
    """The SMS gateway's delivery reports: no shared secret is configured."""

    code = "sms_reports_off"
    template = (
        "Отчёты о доставке SMS не подключены: задайте общий секрет в MARKETDESK_SMS_STATUS_SECRET."
    )


class SmsReportSignatureMismatch(PermissionDenied):
    code = "sms_report_signature_mismatch"
    template = "Подпись отчёта о доставке SMS неверна."


class SmsReportInvalid(InvalidInput):
    code = "sms_report_invalid"
    template = (
        "Отчёт о доставке SMS не распознан: ожидался JSON-объект с полями id (строка) "
        "и status (строка)."
    )


class SmsReportUnknown(NotFound):
    """No SMS with this gateway id (yet: the report may come before the send is recorded;
    the gateway repeats it)."""

    code = "sms_report_unknown"
    template = "SMS с идентификатором шлюза «{provider_id}» не найдено."
