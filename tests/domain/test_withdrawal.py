"""Withdrawal from the balance: at least 100 ₽, or all of it when under 100 ₽ (seed 001)."""

import pytest

from marketdesk.domain.money import rub
from marketdesk.domain.withdrawal import (
    MIN_WITHDRAWAL,
    WithdrawalRefusal,
    balance_transfer_allowed,
    check_withdrawal,
    withdrawable_amount,
)

W = WithdrawalRefusal


def test_minimum_is_one_hundred_rubles() -> None:
    assert MIN_WITHDRAWAL == 10_000


CASES = [
    # (balance, amount, refusal or None)
    (rub(99), rub(99), None),
    (rub(99), rub(99) - 1, W.MUST_WITHDRAW_ALL),
    (rub(99), 1, W.MUST_WITHDRAW_ALL),
    (rub(99), rub(50), W.MUST_WITHDRAW_ALL),
    (rub(99), rub(99) + 1, W.EXCEEDS_BALANCE),
    (rub(99), rub(100), W.EXCEEDS_BALANCE),
    (rub(99), 0, W.INVALID_AMOUNT),
    (rub(99), -1, W.INVALID_AMOUNT),
    (rub(100) - 1, rub(100) - 1, None),
    (rub(100) - 1, rub(99), W.MUST_WITHDRAW_ALL),
    (rub(100), rub(100), None),
    (rub(100), rub(100) - 1, W.BELOW_MINIMUM),
    (rub(100), rub(99), W.BELOW_MINIMUM),
    (rub(100), rub(100) + 1, W.EXCEEDS_BALANCE),
    (rub(101), rub(100), None),
    (rub(101), rub(100) + 50, None),
    (rub(101), rub(101), None),
    (rub(101), rub(100) - 1, W.BELOW_MINIMUM),
    (rub(101), rub(101) + 1, W.EXCEEDS_BALANCE),
    (rub(101), 0, W.INVALID_AMOUNT),
    (0, 1, W.EXCEEDS_BALANCE),
    (0, 0, W.INVALID_AMOUNT),
    (1, 1, None),
    (rub(5_000), rub(5_000), None),
    (rub(5_000), rub(150), None),
]


def _rub(kopecks: int) -> str:
    return f"{kopecks / 100:.2f}"


@pytest.mark.parametrize(
    ("balance", "amount", "refusal"),
    CASES,
    ids=[f"balance-{_rub(b)}-amount-{_rub(a)}" for b, a, _ in CASES],
)
def test_withdrawal_rule(balance: int, amount: int, refusal: WithdrawalRefusal | None) -> None:
    decision = check_withdrawal(amount=amount, withdrawable_balance=balance)
    assert (decision.allowed, decision.refusal) == (refusal is None, refusal)


@pytest.mark.parametrize(
    ("balance", "amount", "message"),
    [
        (rub(99), rub(99), "Можно вывести 99,00 ₽."),
        (
            rub(99),
            rub(50),
            "На балансе меньше 100,00 ₽, поэтому вывести можно только всю сумму целиком: 99,00 ₽.",
        ),
        (rub(150), rub(99), "Минимальная сумма вывода — 100,00 ₽."),
        (
            rub(150),
            rub(200),
            "Сумма вывода больше доступного остатка: вывести можно не более 150,00 ₽. "
            "Деньги, зачисленные с подарочных сертификатов, вывести нельзя.",
        ),
        (rub(150), 0, "Укажите сумму вывода больше нуля."),
    ],
    ids=["allowed", "must-withdraw-all", "below-minimum", "exceeds-balance", "invalid-amount"],
)
def test_withdrawal_messages(balance: int, amount: int, message: str) -> None:
    assert check_withdrawal(amount=amount, withdrawable_balance=balance).message_ru == message


@pytest.mark.parametrize(
    ("total", "certificate", "withdrawable"),
    [
        (rub(500), rub(300), rub(200)),
        (rub(300), rub(300), 0),
        (rub(300), 0, rub(300)),
        (0, 0, 0),
        (rub(150), rub(100), rub(50)),
    ],
    ids=["part", "all-certificate", "no-certificate", "empty", "small-rest"],
)
def test_certificate_money_is_not_withdrawable(
    total: int, certificate: int, withdrawable: int
) -> None:
    assert withdrawable_amount(total, certificate) == withdrawable


def test_certificate_money_cannot_be_withdrawn_end_to_end() -> None:
    balance = withdrawable_amount(rub(150), rub(100))  # 50 ₽ of own money
    assert check_withdrawal(amount=rub(50), withdrawable_balance=balance).allowed is True
    refused = check_withdrawal(amount=rub(100), withdrawable_balance=balance)
    assert refused.refusal is W.EXCEEDS_BALANCE


@pytest.mark.parametrize(
    ("total", "certificate"),
    [(rub(100), rub(101)), (-1, 0), (rub(100), -1)],
    ids=["certificate-above-total", "negative-total", "negative-certificate"],
)
def test_withdrawable_amount_rejects_inconsistent_balances(total: int, certificate: int) -> None:
    with pytest.raises(ValueError):
        withdrawable_amount(total, certificate)


def test_negative_withdrawable_balance_raises() -> None:
    with pytest.raises(ValueError):
        check_withdrawal(amount=rub(1), withdrawable_balance=-1)


@pytest.mark.parametrize("value", [1.5, True, "100"], ids=["float", "bool", "str"])
def test_amount_must_be_integer_kopecks(value: object) -> None:
    with pytest.raises(TypeError):
        check_withdrawal(amount=value, withdrawable_balance=rub(100))  # type: ignore[arg-type]


def test_balance_transfer_is_never_allowed() -> None:
    assert balance_transfer_allowed() is False
