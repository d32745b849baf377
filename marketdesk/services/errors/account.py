"""Refusals of the customer's account («Личный кабинет»): the bank details of a withdrawal,
and the account's screens that only a logged-in customer has."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from marketdesk.domain.bank_account import AccountRefusal

from .base import InvalidInput, ServiceError
from .refusals import WithdrawalByCustomerOnly

__all__ = [
    "ACCOUNT_REFUSALS",
    "AccountCustomerOnly",
    "InvalidAccount",
    "InvalidAccountFormat",
    "InvalidBik",
    "RecipientRequired",
]


class InvalidBik(InvalidInput):
    """The BIK is not 9 digits (``reason``: the rule's text)."""

    code = "invalid_bik"
    template = "{reason}"
    example = "БИК — это 9 цифр. Его можно найти в реквизитах счёта в приложении вашего банка."


class InvalidAccount(InvalidInput):
    """The account number fails the Bank of Russia's control key against the BIK."""

    code = "invalid_account"
    template = "{reason}"
    example = "Номер счёта не подходит к БИК: проверьте обе цифровые последовательности. …"


class InvalidAccountFormat(InvalidAccount):
    """The account number is not 20 digits."""

    example = "Номер счёта — это 20 цифр. Номер карты не подойдёт: укажите счёт из реквизитов."


class RecipientRequired(InvalidInput):
    code = "recipient_required"
    template = (
        "Укажите получателя — фамилию, имя и отчество владельца счёта, как в реквизитах банка "
        "(не длиннее {limit} символов)."
    )


class AccountCustomerOnly(WithdrawalByCustomerOnly):
    template = "Личный кабинет есть только у покупателя: войдите по номеру телефона."


ACCOUNT_REFUSALS: Final[Mapping[AccountRefusal, type[ServiceError]]] = MappingProxyType(
    {
        AccountRefusal.BIK_FORMAT: InvalidBik,
        AccountRefusal.ACCOUNT_FORMAT: InvalidAccountFormat,
        AccountRefusal.CONTROL_KEY: InvalidAccount,
    }
)
