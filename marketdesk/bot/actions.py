"""What the bot does on the customer's own data (issue 14, item 6): which of the account's
questions a message asks, the facts it needs, and how the bot says them.

The bot layer has no database: the facts come through :class:`Account`, which the services
implement with the same use cases as the console and the API (``services.bot_account``).
Everything here is pure apart from awaiting that port."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from marketdesk.text.analyzer import Analysis

__all__ = [
    "Account",
    "AccountIntent",
    "BalanceFact",
    "ItemFact",
    "OrderFact",
    "Outcome",
    "WithdrawalFact",
    "certificate_code_in",
    "detect_account_intent",
    "return_reason_in",
]


class AccountIntent(StrEnum):
    """A question about the customer's own account; the value is the dialogue's topic."""

    ORDERS = "my_orders"
    BALANCE = "my_balance"
    CERTIFICATE = "my_certificate"
    RETURN = "my_return"
    WITHDRAWAL = "my_withdrawal"


@dataclass(frozen=True, slots=True)
class ItemFact:
    product_id: int
    name: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderFact:
    number: str
    status: str  # Russian title: «Передан в доставку»
    status_code: str
    created: str  # «01.12.2026»
    items: tuple[ItemFact, ...]


@dataclass(frozen=True, slots=True)
class BalanceFact:
    title: str  # «Баллы Ozon»
    amount: Decimal
    unit: str  # «₽», «Б»
    sources: tuple[tuple[str, Decimal], ...] = ()  # («Баллы за отзыв», 150)


@dataclass(frozen=True, slots=True)
class WithdrawalFact:
    total: Decimal
    certificate_money: Decimal
    withdrawable: Decimal
    minimum: Decimal
    link: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a write use case decided: done, or refused with its Russian reason."""

    done: bool
    message: str
    code: str = ""


class Account(Protocol):
    """The logged-in customer's account, as the services show it to that customer only."""

    async def orders(self, limit: int) -> Sequence[OrderFact]: ...

    async def balances(self) -> Sequence[BalanceFact]: ...

    async def withdrawal(self) -> WithdrawalFact: ...

    async def activate_certificate(self, code: str) -> Outcome: ...

    async def request_return(
        self, order_number: str, product_id: int, quantity: int, reason: str
    ) -> Outcome: ...

    async def passes_guard(self, text: str) -> bool:
        """The privacy guard's verdict on a reply to this customer."""
        ...


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ORDER = _words("заказ посылка покупка")
ORDER_WHERE = _words(
    "где когда статус мой приходить прийти отследить отслеживать привезти доставить "
    "последний ехать идти"
)
POINTS = _words("балл бонус баланс кешбэк кэшбэк")
MINE = _words("мой я сколько остаток посмотреть какой накопить")
WITHDRAW = _words("вывести вывод выводить снять перевести")
MONEY = _words("деньга средство баланс рубль сумма")
CERTIFICATE = frozenset({"сертификат"})
ACTIVATE = _words("активировать активация ввести применить зачислить активироваться")
LIMIT_WORDS = _words("лимит сколько раз почему правило ограничение")
RETURN = _words("вернуть возврат возвратить сдать")
GOODS = _words("товар заказ покупка вещь")
#: «вернуть сертификат», «вернуть билет», «вернуться в чат»: not goods of an order
NOT_RETURNED = _words("сертификат билет авиабилет чат страница вернуться купон промокод балл")
NOT_POINTS = _words("отзыв получить начислять начислить заработать потратить списать")

_CODE_SHAPE = re.compile(r"(?<![\w-])[A-Za-z0-9]{4}(?:[- ]?[A-Za-z0-9]{4}){1,7}(?![\w-])")
_FULL_CODE = 16  # the length of a code marketdesk issues (``services.certificates``)


def certificate_code_in(text: str) -> str | None:
    """A certificate code written in a message («AB12-CD34-EF56-GH78»): Latin letters and
    digits in groups of four, with or without dashes or spaces between them. It has a letter
    (digits only are an order number or a bank card) and a digit, unless it has the full
    length of an issued code: one in a hundred issued codes has no digit at all, and was
    not recognised (while «good deal» stays a phrase)."""
    for match in _CODE_SHAPE.finditer(text):
        code = match.group(0).replace(" ", "")
        bare = code.replace("-", "")
        if not any(c.isalpha() for c in bare):
            continue
        if any(c.isdigit() for c in bare) or len(bare) == _FULL_CODE:
            return code
    return None


_REASONS = (
    ("defect", _words("брак бракованный сломанный сломать разбитый поврежденный дефект")),
    ("not_as_described", _words("описание соответствовать несоответствие перепутать")),
    ("warranty", _words("гарантия гарантийный")),
    (
        "proper_quality",
        _words("подойти подходить передумать размер надлежащий качество понравиться"),
    ),
)


def return_reason_in(analysis: Analysis, raw_text: str = "") -> str | None:
    """The return reason a message names (``domain.returns.ReturnReason`` values)."""
    lemmas = set(analysis.lemmas)
    if "не" in lemmas and lemmas & _words("подойти подходить понравиться"):
        return "proper_quality"
    for reason, words in _REASONS:
        if lemmas & words:
            return reason
    return None


def _asks_withdrawal(lem: set[str]) -> bool:
    return bool(lem & WITHDRAW and lem & MONEY and "сертификат" not in lem)


def _asks_certificate(lem: set[str], raw_text: str) -> bool:
    if not lem & CERTIFICATE:
        return False
    if certificate_code_in(raw_text):
        return True
    return bool(lem & ACTIVATE and not lem & LIMIT_WORDS)


def _asks_return(lem: set[str]) -> bool:
    return bool(lem & RETURN and not lem & (MONEY | NOT_RETURNED))


def _asks_balance(lem: set[str]) -> bool:
    return bool(lem & POINTS and lem & MINE and not lem & (NOT_POINTS | WITHDRAW))


def _asks_orders(lem: set[str]) -> bool:
    return bool(lem & ORDER and lem & ORDER_WHERE and not lem & (RETURN | _words("отменить")))


def detect_account_intent(analysis: Analysis, raw_text: str) -> AccountIntent | None:
    """Which question about the customer's own account the message asks, if any."""
    lem = set(analysis.lemmas)
    if _asks_withdrawal(lem):
        return AccountIntent.WITHDRAWAL
    if _asks_certificate(lem, raw_text):
        return AccountIntent.CERTIFICATE
    if _asks_return(lem):
        return AccountIntent.RETURN
    if _asks_balance(lem):
        return AccountIntent.BALANCE
    if _asks_orders(lem):
        return AccountIntent.ORDERS
    return None
