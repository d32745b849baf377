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
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import BalanceEntry, utcnow

from . import audit, notifications, webhooks
from .customers import money
from .errors import (
    WITHDRAWAL_REFUSALS,
    AmountTooLarge,
    AmountTooPrecise,
    InvalidAmount,
    WithdrawalByCustomerOnly,
    WithdrawalRefused,
)
from .locks import lock_customer
from .principals import Principal
from .webhooks.payloads import withdrawal_data

__all__ = [
    "BalanceView",
    "RublesBalance",
    "WithdrawalRefused",
    "balance_view",
    "my_balance",
    "rubles_balance",
    "withdraw",
]


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


class WithdrawalResult(BaseModel):
    amount: Decimal
    balance: BalanceView
    message: str


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
    *,
    now: datetime | None = None,
) -> WithdrawalResult:
    """At least 100 ₽, or the whole balance when it is under 100 ₽; never certificate money."""
    customer_id = _require_customer(principal)
    kopecks = _kopecks(amount)
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
    audit.record(
        session,
        principal,
        "balance.withdrawn",
        entity_kind="customer",
        entity_id=customer_id,
        amount=kopecks,
    )
    await session.flush()
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
    return WithdrawalResult(
        amount=money(kopecks),
        balance=balance_view(after),
        message=f"Заявка на вывод {money(kopecks)} ₽ принята.",
    )
