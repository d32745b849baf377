"""The customer's rubles balance and withdrawals (seeds 000 and 001)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import withdrawal as rules
from marketdesk.domain.bank_account import check_account, mask_account
from marketdesk.domain.money import format_rub
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import BalanceEntry, WithdrawalRequest, utcnow

from . import audit, notifications, webhooks
from .customers import money
from .errors import (
    ACCOUNT_REFUSALS,
    WITHDRAWAL_REFUSALS,
    AmountTooLarge,
    AmountTooPrecise,
    InvalidAmount,
    RecipientRequired,
    WithdrawalByCustomerOnly,
    WithdrawalRefused,
)
from .locks import lock_customer
from .principals import Principal
from .webhooks.payloads import withdrawal_data

__all__ = [
    "BalanceView",
    "BankDetails",
    "RublesBalance",
    "WithdrawalRefused",
    "balance_view",
    "my_balance",
    "rubles_balance",
    "withdraw",
    "withdraw_for",
    "withdrawals",
]

RECIPIENT_MAX_CHARS = 200


@dataclass(frozen=True)
class RublesBalance:
    total: int  # kopecks
    certificate_money: int  # the part that came from certificates: never withdrawn

    @property
    def withdrawable(self) -> int:
        return rules.withdrawable_amount(self.total, self.certificate_money)


class BalanceView(BaseModel):
    total: Decimal
    certificate_money: Decimal
    withdrawable: Decimal


@dataclass(frozen=True)
class BankDetails:
    """Where the money goes, as the customer typed it (checked by :func:`withdraw`)."""

    recipient: str
    bik: str
    account: str


class WithdrawalView(BaseModel):
    number: str
    amount: Decimal
    recipient: str
    bik: str
    account_masked: str  # only the last four digits: never the whole number
    status: str
    created_at: datetime


class WithdrawalResult(BaseModel):
    amount: Decimal
    balance: BalanceView
    message: str
    withdrawal: WithdrawalView


class WithdrawalList(BaseModel):
    withdrawals: list[WithdrawalView]


def _view(request: WithdrawalRequest) -> WithdrawalView:
    return WithdrawalView(
        number=f"W-{request.id:07d}",
        amount=money(request.amount),
        recipient=request.recipient,
        bik=request.bik,
        account_masked=mask_account(request.account),
        status=request.status,
        created_at=request.created_at,
    )


def _checked_details(details: BankDetails) -> BankDetails:
    """The recipient is required; the account number must pass the Bank of Russia's control
    key against the BIK (``domain.bank_account``). Normalised: spaces and hyphens dropped."""
    recipient = " ".join((details.recipient or "").split())
    named = any(char.isalpha() for char in recipient)  # a name, not digits or dashes
    if not named or len(recipient) > RECIPIENT_MAX_CHARS:
        raise RecipientRequired(limit=RECIPIENT_MAX_CHARS)
    check = check_account(details.bik, details.account)
    if not check.valid:
        assert check.refusal is not None
        raise ACCOUNT_REFUSALS[check.refusal](reason=check.message_ru)
    return BankDetails(recipient=recipient, bik=check.bik, account=check.account)


async def rubles_balance(
    session: AsyncSession, customer_id: int, *, now: datetime | None = None
) -> RublesBalance:
    """Total rubles, and how much of it is certificate money (still valid, not yet spent:
    spending and withdrawals are taken from other money first, so certificate money is
    at most what is left)."""
    now = now or utcnow()
    total = await session.scalar(
        select(func.coalesce(func.sum(BalanceEntry.amount), 0)).where(
            BalanceEntry.customer_id == customer_id, BalanceEntry.kind == "rubles"
        )
    )
    certificates = await session.scalar(
        select(func.coalesce(func.sum(BalanceEntry.amount), 0)).where(
            BalanceEntry.customer_id == customer_id,
            BalanceEntry.kind == "rubles",
            BalanceEntry.source == "certificate",
            or_(BalanceEntry.expires_at.is_(None), BalanceEntry.expires_at > now),
        )
    )
    total = max(0, int(total or 0))
    return RublesBalance(total=total, certificate_money=min(total, int(certificates or 0)))


def balance_view(balance: RublesBalance) -> BalanceView:
    return BalanceView(
        total=money(balance.total),
        certificate_money=money(balance.certificate_money),
        withdrawable=money(balance.withdrawable),
    )


def _kopecks(amount: Decimal | str | int) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidAmount() from None
    if not value.is_finite() or abs(value) > Decimal("1000000000"):
        raise AmountTooLarge()
    if value != value.quantize(Decimal("0.01")):
        raise AmountTooPrecise()
    return int(value * 100)


def _require_customer(principal: Principal) -> int:
    if principal.kind != "customer":
        raise WithdrawalByCustomerOnly()
    return int(principal.id)


async def my_balance(session: AsyncSession, principal: Principal) -> BalanceView:
    return balance_view(await rubles_balance(session, _require_customer(principal)))


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    amount: Decimal | str | int,
    details: BankDetails,
    *,
    now: datetime | None = None,
) -> WithdrawalResult:
    """At least 100 ₽, or the whole balance when it is under 100 ₽; never certificate money;
    to a recipient's account whose control key matches the BIK. The request keeps the details
    for the payment; the audit and every view see the account masked."""
    return await withdraw_for(
        session, principal, _require_customer(principal), amount, details, now=now
    )


async def withdraw_for(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    amount: Decimal | str | int,
    details: BankDetails,
    *,
    now: datetime | None = None,
) -> WithdrawalResult:
    """:func:`withdraw` for ``customer_id`` by ``principal``: the customer themselves, or
    support after a passed identity check (``services.identity_actions``: the caller checks)."""
    kopecks = _kopecks(amount)
    details = _checked_details(details)
    now = now or utcnow()
    await lock_customer(session, customer_id)
    balance = await rubles_balance(session, customer_id, now=now)
    decision = rules.check_withdrawal(amount=kopecks, withdrawable_balance=balance.withdrawable)
    if not decision.allowed:
        audit.record(
            session,
            principal,
            "balance.withdrawal_refused",
            entity_kind="customer",
            entity_id=customer_id,
            amount=kopecks,
            refusal=str(decision.refusal),
        )
        await session.commit()
        assert decision.refusal is not None
        raise WITHDRAWAL_REFUSALS[decision.refusal](reason=decision.message_ru)
    entry = BalanceEntry(
        customer_id=customer_id,
        kind="rubles",
        amount=-kopecks,
        source="withdrawal",
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    request = WithdrawalRequest(
        customer_id=customer_id,
        balance_entry_id=entry.id,
        amount=kopecks,
        recipient=details.recipient,
        bik=details.bik,
        account=details.account,
        status="accepted",
        created_at=now,
    )
    session.add(request)
    await session.flush()
    entry.reference = f"withdrawal:{request.id}"
    audit.record(
        session,
        principal,
        "balance.withdrawn",
        entity_kind="customer",
        entity_id=customer_id,
        amount=kopecks,
        bik=details.bik,
        account=mask_account(details.account),
    )
    await notifications.notify(
        session,
        event="withdrawal_created",
        data={"amount": money(kopecks)},
        idempotency_key=f"withdrawal_created:{entry.id}",
        customer_id=customer_id,
        now=now,
    )
    await webhooks.emit(session, WebhookEvent.WITHDRAWAL_CREATED, partial(withdrawal_data, entry))
    await session.commit()
    after = await rubles_balance(session, customer_id, now=now)
    view = _view(request)
    return WithdrawalResult(
        amount=money(kopecks),
        balance=balance_view(after),
        message=f"Заявка {view.number} на вывод {format_rub(kopecks)} на счёт "
        f"{view.account_masked} принята. Получатель: {details.recipient}.",
        withdrawal=view,
    )


async def withdrawals(session: AsyncSession, principal: Principal) -> WithdrawalList:
    """The customer's own withdrawal requests, newest first, the accounts masked."""
    customer_id = _require_customer(principal)
    rows = await session.scalars(
        select(WithdrawalRequest)
        .where(WithdrawalRequest.customer_id == customer_id)
        .order_by(WithdrawalRequest.created_at.desc(), WithdrawalRequest.id.desc())
        .limit(50)
    )
    return WithdrawalList(withdrawals=[_view(row) for row in rows])
