"""Bank details for a withdrawal: the BIK, the 20-digit account number and its control key.

Seed 001, «Вывод средств»: «Введите реквизиты счета, на который хотите вывести деньги». The
Bank of Russia protects an account number with a control key, its 9th digit, computed against
the BIK of the bank where the account is opened. The algorithm is the Bank of Russia's
«Порядок расчета контрольного ключа в номере лицевого счета» (утв. ЦБ РФ 08.09.1997 № 515,
the schema of account numbers of the Bank of Russia's order № 02-263 of 18.06.1997, kept in
the chart of accounts of Положение № 579-П):

1. The conditional number of the institution where the account is opened: for an account at a
   credit organisation, digits 7–9 of its BIK; for an account at a settlement institution of
   the Bank of Russia (РКЦ), «0» and digits 5–6 of the BIK.
2. The 23 digits «conditional number + account number», with the key digit (the 9th of the
   account) taken as 0, are multiplied by the weights 7, 1, 3 repeated.
3. The lowest digits of the products are added up; the lowest digit of the sum times 3 gives,
   by its lowest digit, the key.
4. Check: with the real key in place the lowest digits of the products add up to a multiple of
   10. (The Bank's worked examples: account 40602810700000000025 at a credit organisation with
   BIK 049805746; correspondent account 30101810800000000746 at the РКЦ with BIK 049805000.)

Which BIK is the Bank of Russia's: the BIK's structure (Положение Банка России № 225-П)
gives digits 7–9 of a credit organisation from 050 to 999, and 000 for a РКЦ, 001 for a ГРКЦ
and 002 for another division of the Bank of Russia. So a BIK whose digits 7–9 are 000, 001 or
002 takes the РКЦ rule (``BANK_OF_RUSSIA_UNITS``); any other the credit organisation's.

Pure: no I/O. Messages are Russian, for the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "ACCOUNT_LENGTH",
    "BANK_OF_RUSSIA_UNITS",
    "BIK_LENGTH",
    "WEIGHTS",
    "AccountCheck",
    "AccountRefusal",
    "check_account",
    "conditional_number",
    "control_key",
    "is_bank_of_russia",
    "mask_account",
    "normalize_digits",
]

BIK_LENGTH: Final = 9
ACCOUNT_LENGTH: Final = 20
KEY_POSITION: Final = 8  # the 9th digit of the account number, counted from 0
WEIGHTS: Final = (7, 1, 3) * 7 + (7, 1)  # 23 weights: 7, 1, 3 repeated
BANK_OF_RUSSIA_UNITS: Final = frozenset({"000", "001", "002"})
"""Digits 7–9 of the BIK of a division of the Bank of Russia (225-П): РКЦ, ГРКЦ, other."""

_SEPARATORS = re.compile(r"[\s\-.]")


class AccountRefusal(StrEnum):
    """Why a pair of bank details is refused."""

    BIK_FORMAT = "bik_format"
    ACCOUNT_FORMAT = "account_format"
    CONTROL_KEY = "control_key"


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """Result of :func:`check_account`: the details normalised, or the refusal."""

    valid: bool
    refusal: AccountRefusal | None
    message_ru: str
    bik: str = ""
    account: str = ""


def normalize_digits(value: str) -> str:
    """Spaces, hyphens and dots that people type between digit groups are dropped."""
    return _SEPARATORS.sub("", value or "")


def is_bank_of_russia(bik: str) -> bool:
    """Whether the BIK is a division of the Bank of Russia (digits 7–9 000, 001 or 002)."""
    return bik[6:9] in BANK_OF_RUSSIA_UNITS


def conditional_number(bik: str) -> str:
    """The three digits put before the account number: «0» + digits 5–6 of a Bank of Russia
    division's BIK, or digits 7–9 of a credit organisation's."""
    if len(bik) != BIK_LENGTH or not bik.isdigit():
        raise ValueError("a BIK is 9 digits")
    return "0" + bik[4:6] if is_bank_of_russia(bik) else bik[6:9]


def _weighted_sum(digits: str) -> int:
    return sum((int(digit) * weight) % 10 for digit, weight in zip(digits, WEIGHTS, strict=True))


def control_key(bik: str, account: str) -> int:
    """The control key (0–9) that ``account`` must have at its 9th digit for ``bik``."""
    if len(account) != ACCOUNT_LENGTH or not account.isascii() or not account.isdigit():
        raise ValueError("an account number is 20 digits")
    zeroed = account[:KEY_POSITION] + "0" + account[KEY_POSITION + 1 :]
    total = _weighted_sum(conditional_number(bik) + zeroed)
    return (total % 10 * 3) % 10


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def check_account(bik: str, account: str) -> AccountCheck:
    """Check the BIK's and the account number's form, then the account's control key."""
    bik = normalize_digits(bik)
    account = normalize_digits(account)
    if not _digits(bik, BIK_LENGTH):
        return AccountCheck(
            False,
            AccountRefusal.BIK_FORMAT,
            "БИК — это 9 цифр. Его можно найти в реквизитах счёта в приложении вашего банка.",
        )
    if not _digits(account, ACCOUNT_LENGTH):
        return AccountCheck(
            False,
            AccountRefusal.ACCOUNT_FORMAT,
            "Номер счёта — это 20 цифр. Номер карты не подойдёт: укажите счёт из реквизитов.",
        )
    if int(account[KEY_POSITION]) != control_key(bik, account):
        return AccountCheck(
            False,
            AccountRefusal.CONTROL_KEY,
            "Номер счёта не подходит к БИК: проверьте обе цифровые последовательности. "
            "Возможно, в номере счёта опечатка или БИК другого банка.",
        )
    return AccountCheck(True, None, "Реквизиты счёта верны.", bik=bik, account=account)


def mask_account(account: str) -> str:
    """An account number as views show it: only the last four digits (``•••• 1234``)."""
    digits = normalize_digits(account)
    return "•••• " + digits[-4:] if len(digits) >= 4 else "••••"
