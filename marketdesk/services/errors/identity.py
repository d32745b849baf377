"""Refusals of the identity checks (the codeword, issue 14, item 5) and of the customer's
devices and login methods (issue 14, item 4)."""

from __future__ import annotations

from .base import Conflict, InvalidInput, PermissionDenied, RateLimited
from .refusals import WithdrawalByCustomerOnly

__all__ = [
    "CodewordInvalid",
    "CodewordLocked",
    "CodewordNotSet",
    "ConversationWithoutCustomer",
    "IdentityCheckRequired",
    "LoginPhoneTaken",
    "SecurityCustomerOnly",
]


class CodewordInvalid(InvalidInput):
    """The customer's new codeword breaks a rule (``reason``: ``domain.identity``)."""

    code = "codeword_invalid"
    template = "{reason}"
    example = "Кодовое слово должно быть не короче 4 символов."


class CodewordNotSet(Conflict):
    code = "codeword_not_set"
    template = (
        "Клиент не задал кодовое слово. Проверить личность по нему нельзя: если клиент его "
        "забыл, создайте задание на идентификацию."
    )


class CodewordLocked(RateLimited):
    """Too many misses: the check is locked until ``until`` (``retry_after`` seconds)."""

    code = "codeword_locked"
    template = (
        "Слишком много неверных ответов: проверка кодового слова заблокирована до {until}. "
        "Не называйте клиенту правильный ответ и не подсказывайте его."
    )
    example = (
        "Слишком много неверных ответов: проверка кодового слова заблокирована до 15:42 (МСК)."
    )


class IdentityCheckRequired(PermissionDenied):
    """An action that needs identity, and no passed check in the conversation."""

    code = "identity_check_required"
    template = (
        "Сначала проверьте личность клиента по кодовому слову в этом диалоге: без этого "
        "нельзя {action}."
    )
    example = (
        "Сначала проверьте личность клиента по кодовому слову в этом диалоге: без этого "
        "нельзя сменить телефон для входа."
    )


class ConversationWithoutCustomer(Conflict):
    code = "conversation_without_customer"
    template = (
        "В этом диалоге пишет гость, который не вошёл по номеру телефона: проверять "
        "кодовое слово некому. Попросите клиента войти."
    )


class LoginPhoneTaken(Conflict):
    code = "login_phone_taken"
    template = "Этот номер уже служит для входа другому покупателю."


class SecurityCustomerOnly(WithdrawalByCustomerOnly):
    template = (
        "Кодовое слово, устройства и чат «Безопасность» есть только у покупателя: войдите "
        "по номеру телефона."
    )
