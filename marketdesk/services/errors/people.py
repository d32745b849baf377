"""Refusals of people and structure (issue 16): the operators' accounts, their second
factor (TOTP), the business-hours calendar, the lines' hours, the queues' deadlines."""

from __future__ import annotations

from .base import AuthenticationRequired, Conflict, InvalidInput, NotFound

__all__ = [
    "CalendarDayNotFound",
    "CalendarInvalid",
    "CapacityInvalid",
    "OperatorLoginInvalid",
    "OperatorLoginTaken",
    "OperatorRolesInvalid",
    "OwnAccountLockout",
    "PasswordTooShort",
    "TotpAlreadyEnabled",
    "TotpConfirmInvalid",
    "TotpInvalid",
    "TotpNotStarted",
    "TotpRequired",
    "TotpUnreadable",
]


class TotpRequired(AuthenticationRequired):
    code = "totp_required"
    template = "Введите шестизначный код из приложения-аутентификатора."


class TotpInvalid(AuthenticationRequired):
    code = "totp_invalid"
    template = (
        "Неверный код из приложения-аутентификатора. Дождитесь нового кода и введите его; "
        "проверьте, что время на телефоне верное."
    )


class TotpUnreadable(Conflict):
    code = "totp_unreadable"
    template = (
        "Второй фактор не удаётся проверить: ключ установки изменился. Попросите "
        "администратора сбросить второй фактор, затем подключите его заново."
    )


class TotpConfirmInvalid(InvalidInput):
    code = "totp_confirm_invalid"
    template = "Код не подошёл. Введите шестизначный код, который сейчас показывает приложение."


class TotpAlreadyEnabled(Conflict):
    code = "totp_already_enabled"
    template = (
        "Вход по коду уже подключён. Чтобы подключить его заново, попросите администратора "
        "сбросить второй фактор."
    )


class TotpNotStarted(Conflict):
    code = "totp_not_started"
    template = "Сначала начните подключение входа по коду: получите секрет."


class OperatorLoginTaken(Conflict):
    code = "operator_login_taken"
    template = "Логин «{login}» уже занят."


class OperatorLoginInvalid(InvalidInput):
    code = "operator_login_invalid"
    template = "Логин — от 2 до 64 символов: латинские буквы, цифры, точка, дефис и подчёркивание."


class OperatorRolesInvalid(InvalidInput):
    code = "operator_roles_invalid"
    template = "Укажите хотя бы одну роль: operator, backoffice, supervisor или admin."


class PasswordTooShort(InvalidInput):
    code = "password_too_short"
    template = "Пароль должен быть не короче {min_length} символов."


class CapacityInvalid(InvalidInput):
    code = "capacity_invalid"
    template = "Чатов одновременно — от 0 до {limit}."


class OwnAccountLockout(Conflict):
    code = "own_account_lockout"
    template = "Нельзя отключить свою учётную запись или снять с себя роль администратора."


class CalendarInvalid(InvalidInput):
    code = "calendar_invalid"
    template = "{reason}"
    example = "Время начала работы должно быть раньше времени окончания."


class CalendarDayNotFound(NotFound):
    code = "calendar_day_not_found"
    template = "На {day} нет исключения в календаре."
