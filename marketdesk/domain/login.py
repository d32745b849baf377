"""Customer login: phone number, then a one-time code (seed 001, «Ozon ID»).

Seed 001: «Чтобы войти в систему, вам потребуется ввести свой номер телефона»;
«Это может быть звонок, SMS-код, push-уведомление или сообщение в чате
«Безопасность»»; «Вам потребуется ввести одноразовый код, полученный одним из
вышеперечисленных способов, или последние 6 цифр номера телефона, с которого был
совершен звонок.»

The seed gives no code length for SMS, push or the chat, no lifetime and no
attempt limit; those are for the caller to configure.
"""

import hmac
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "CALL_CODE_DIGITS",
    "LOGIN_CHANNEL_HINTS_RU",
    "LOGIN_CHANNEL_TITLES_RU",
    "MAX_PHONE_CHARS",
    "InvalidPhoneNumber",
    "LoginChannel",
    "call_code",
    "code_matches",
    "normalize_phone",
]

CALL_CODE_DIGITS: Final = 6
"""Seed 001: for a call the code is «последние 6 цифр номера телефона, с которого был
совершен звонок»."""


class LoginChannel(StrEnum):
    """How the one-time code reaches the customer."""

    SMS = "sms"
    PUSH = "push"
    CALL = "call"
    SECURITY_CHAT = "security_chat"


LOGIN_CHANNEL_TITLES_RU: Final = MappingProxyType(
    {
        LoginChannel.SMS: "SMS-код",
        LoginChannel.PUSH: "Push-уведомление",
        LoginChannel.CALL: "Звонок",
        LoginChannel.SECURITY_CHAT: "Сообщение в чате «Безопасность»",
    }
)

LOGIN_CHANNEL_HINTS_RU: Final = MappingProxyType(
    {
        LoginChannel.SMS: "Введите одноразовый код из SMS.",
        LoginChannel.PUSH: "Введите одноразовый код из push-уведомления.",
        LoginChannel.CALL: (
            "Введите последние шесть цифр номера телефона, с которого вам позвонили."
        ),
        LoginChannel.SECURITY_CHAT: "Введите одноразовый код из сообщения в чате «Безопасность».",
    }
)


class InvalidPhoneNumber(ValueError):
    """Raised when a login phone number is not a full Russian number."""

    def __init__(self, raw: str) -> None:
        super().__init__(
            "Укажите номер телефона полностью, например +7 912 345-67-89."
            if raw.strip()
            else "Укажите номер телефона."
        )


_PHONE_PUNCTUATION: Final = frozenset(" \u00a0-()+.")
MAX_PHONE_CHARS: Final = 40
"""A longer input is not a phone number, whatever it holds (a technical limit)."""


def normalize_phone(raw: str) -> str:
    """The canonical login phone «+7XXXXXXXXXX»: the one rule for every phone a customer types.

    The rule: a Russian mobile or landline number, ten digits after the country code +7,
    written in any of the ways people write it — «+7 912 345-67-89», «8 (912) 345-67-89»,
    «7 912 345 67 89», «9123456789» (ten digits without a trunk prefix), with spaces,
    no-break spaces, dashes, dots and brackets. Anything else is refused with
    :class:`InvalidPhoneNumber`: letters or other symbols, a «+» anywhere but first, a
    wrong number of digits, another country code (a number after «+» must begin with 7),
    a trunk prefix other than 8 or 7, more than :data:`MAX_PHONE_CHARS` characters.

    Why Russian only: seed 001's login is «Ozon ID», «ввести свой номер телефона» to get
    a code by SMS or a call, and every number in the seeds is a Russian one (+7); the
    seeds name no foreign customers. Login, the SMS outbox and a certificate's SMS all
    normalise through this function (``services/customer_login.normalize_phone``).
    """
    text = raw.strip()
    if len(raw) > MAX_PHONE_CHARS:
        raise InvalidPhoneNumber(raw)
    if any(not (ch.isascii() and ch.isdigit()) and ch not in _PHONE_PUNCTUATION for ch in text):
        raise InvalidPhoneNumber(raw)
    if text.count("+") > 1 or ("+" in text and not text.startswith("+")):
        raise InvalidPhoneNumber(raw)
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        if len(digits) != 11 or digits[0] != "7":
            raise InvalidPhoneNumber(raw)
        national = digits[1:]
    elif len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    elif len(digits) == 10:
        national = digits
    else:
        raise InvalidPhoneNumber(raw)
    return "+7" + national


def call_code(calling_number: str) -> str:
    """The code for the «call» channel: the last six digits of the calling number."""
    digits = "".join(ch for ch in calling_number if ch.isascii() and ch.isdigit())
    if len(digits) < CALL_CODE_DIGITS:
        raise ValueError("the calling number has fewer than six digits")
    return digits[-CALL_CODE_DIGITS:]


def code_matches(entered: str, expected: str) -> bool:
    """Compare an entered code with the expected one in constant time.

    Spaces and dashes in the entered code are ignored («123 456» matches «123456»).
    """
    cleaned = "".join(ch for ch in entered if not ch.isspace() and ch != "-")
    if not cleaned or not expected:
        return False
    return hmac.compare_digest(cleaned.encode("utf-8"), expected.encode("utf-8"))
