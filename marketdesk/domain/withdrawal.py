"""Withdrawal of money from the balance («Баланс средств»).

Seed 001, «Вывод средств»: «Вывести можно только сумму от 100 рублей. Если у вас
меньше 100 рублей, вы сможете вывести только всю сумму.»

Seed 000, gift certificates: «Нельзя списать с Баланса средств начисленные, но ещё
не потраченные средства. Нельзя переводить средства с одного Баланса средств на
другой.» — money that came from certificates is never withdrawable, and balance
money is never moved to another balance.

Decisions: «от 100 рублей» includes 100,00 ₽. A balance of exactly 100,00 ₽ is
not «меньше 100 рублей», so the minimum applies (which means withdrawing all of it).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from marketdesk.domain.money import format_rub, rub

__all__ = [
    "BALANCE_TRANSFER_FORBIDDEN_RU",
    "MIN_WITHDRAWAL",
    "WithdrawalDecision",
    "WithdrawalRefusal",
    "balance_transfer_allowed",
    "check_withdrawal",
    "withdrawable_amount",
]

MIN_WITHDRAWAL: Final = rub(100)
"""Seed 001: «Вывести можно только сумму от 100 рублей»."""

BALANCE_TRANSFER_FORBIDDEN_RU: Final = (
    "Переводить деньги с одного Баланса средств на другой нельзя."
)


class WithdrawalRefusal(StrEnum):
    """Why a withdrawal is refused."""

    INVALID_AMOUNT = "invalid_amount"
    EXCEEDS_BALANCE = "exceeds_balance"
    BELOW_MINIMUM = "below_minimum"
    MUST_WITHDRAW_ALL = "must_withdraw_all"


@dataclass(frozen=True, slots=True)
class WithdrawalDecision:
    """Result of :func:`check_withdrawal`."""

    allowed: bool
    refusal: WithdrawalRefusal | None
    message_ru: str


def _require_kopecks(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of kopecks")
    return value


def withdrawable_amount(total_balance: int, certificate_money: int) -> int:
    """Part of the balance that may be withdrawn: everything except unspent certificate money.

    Raises ``ValueError`` for negative inputs or certificate money above the total.
    """
    total = _require_kopecks(total_balance, "total_balance")
    certificate = _require_kopecks(certificate_money, "certificate_money")
    if total < 0 or certificate < 0:
        raise ValueError("balances cannot be negative")
    if certificate > total:
        raise ValueError("certificate money cannot exceed the total balance")
    return total - certificate


def balance_transfer_allowed() -> bool:
    """Moving money from one balance to another is never allowed (seed 000)."""
    return False


def check_withdrawal(*, amount: int, withdrawable_balance: int) -> WithdrawalDecision:
    """Check a withdrawal of ``amount`` kopecks from ``withdrawable_balance`` kopecks.

    Use :func:`withdrawable_amount` to exclude certificate money first.
    """
    amount = _require_kopecks(amount, "amount")
    balance = _require_kopecks(withdrawable_balance, "withdrawable_balance")
    if balance < 0:
        raise ValueError("withdrawable_balance cannot be negative")
    if amount <= 0:
        return WithdrawalDecision(
            False,
            WithdrawalRefusal.INVALID_AMOUNT,
            "Укажите сумму вывода больше нуля.",
        )
    if amount > balance:
        return WithdrawalDecision(
            False,
            WithdrawalRefusal.EXCEEDS_BALANCE,
            f"Сумма вывода больше доступного остатка: вывести можно не более "
            f"{format_rub(balance)}. Деньги, зачисленные с подарочных сертификатов, "
            f"вывести нельзя.",
        )
    if balance < MIN_WITHDRAWAL:
        if amount != balance:
            return WithdrawalDecision(
                False,
                WithdrawalRefusal.MUST_WITHDRAW_ALL,
                f"На балансе меньше {format_rub(MIN_WITHDRAWAL)}, поэтому вывести можно "
                f"только всю сумму целиком: {format_rub(balance)}.",
            )
    elif amount < MIN_WITHDRAWAL:
        return WithdrawalDecision(
            False,
            WithdrawalRefusal.BELOW_MINIMUM,
            f"Минимальная сумма вывода — {format_rub(MIN_WITHDRAWAL)}.",
        )
    return WithdrawalDecision(True, None, f"Можно вывести {format_rub(amount)}.")
