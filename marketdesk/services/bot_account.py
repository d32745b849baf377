"""The logged-in customer's account as the bot sees it (issue 14, item 6): the
``bot.actions.Account`` port over the same use cases as the console and the API.

Only the customer's own data: the principal is the customer, orders and balances are read
by their id, a return goes through ``returns.request_return`` (which finds only the
customer's own orders), an activation through ``certificates.activate_certificate`` (every
rule and the audit), the withdrawal's amount rule from ``domain.withdrawal``. A refusal comes
back as an :class:`~marketdesk.bot.actions.Outcome` with its stable code and Russian text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot.actions import BalanceFact, ItemFact, OrderFact, Outcome, WithdrawalFact
from marketdesk.domain import withdrawal as withdrawal_rules
from marketdesk.domain.returns import ReturnReason
from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.settings import Settings
from marketdesk.store.models import BalanceEntry, Customer, Order, OrderItem

from . import balance, certificates, returns
from .chat import guard
from .customers import money
from .errors import CustomerNotFound, ServiceError
from .labels import (
    BALANCE_KIND_TITLES,
    BALANCE_KIND_UNITS,
    BALANCE_SOURCE_TITLES,
    ORDER_STATUS_TITLES,
)
from .principals import Principal

__all__ = ["ChatAccount", "CustomerAccount", "customer_account"]


async def customer_account(
    session: AsyncSession, customer_id: int, settings: Settings
) -> CustomerAccount:
    """The account of an existing customer (``CustomerNotFound`` otherwise)."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    principal = Principal("customer", customer_id, name=customer.full_name or "")
    return CustomerAccount(session, principal, settings)


def _day(at: datetime) -> str:
    return at.astimezone(MOSCOW_TZ).strftime("%d.%m.%Y")


class CustomerAccount:
    def __init__(self, session: AsyncSession, principal: Principal, settings: Settings) -> None:
        assert principal.kind == "customer"
        self.session = session
        self.principal = principal
        self.customer_id = int(principal.id)
        self.settings = settings

    async def orders(self, limit: int) -> Sequence[OrderFact]:
        found = list(
            await self.session.scalars(
                select(Order)
                .where(Order.customer_id == self.customer_id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(max(1, min(limit, 20)))
            )
        )
        items: dict[int, list[ItemFact]] = {o.id: [] for o in found}
        if found:
            rows = await self.session.scalars(
                select(OrderItem).where(OrderItem.order_id.in_(list(items))).order_by(OrderItem.id)
            )
            for row in rows:
                if row.product_id is not None:
                    items[row.order_id].append(ItemFact(row.product_id, row.name, row.quantity))
        return [
            OrderFact(
                number=o.number,
                status=ORDER_STATUS_TITLES.get(o.status, o.status),
                status_code=o.status,
                created=_day(o.created_at),
                items=tuple(items[o.id]),
            )
            for o in found
        ]

    async def balances(self) -> Sequence[BalanceFact]:
        rows = await self.session.execute(
            select(BalanceEntry.kind, BalanceEntry.source, func.sum(BalanceEntry.amount))
            .where(BalanceEntry.customer_id == self.customer_id)
            .group_by(BalanceEntry.kind, BalanceEntry.source)
        )
        by_kind: dict[str, dict[str, int]] = {kind: {} for kind in BALANCE_KIND_TITLES}
        for kind, source, amount in rows:
            by_kind.setdefault(kind, {})[source] = int(amount or 0)
        return [
            BalanceFact(
                title=BALANCE_KIND_TITLES.get(kind, kind),
                amount=money(sum(sources.values())),
                unit=BALANCE_KIND_UNITS.get(kind, ""),
                sources=tuple(
                    (BALANCE_SOURCE_TITLES.get(source, source), money(amount))
                    for source, amount in sorted(sources.items())
                    if amount > 0
                ),
            )
            for kind, sources in by_kind.items()
        ]

    async def withdrawal(self) -> WithdrawalFact:
        rubles = await balance.rubles_balance(self.session, self.customer_id)
        return WithdrawalFact(
            total=money(rubles.total),
            certificate_money=money(rubles.certificate_money),
            withdrawable=money(rubles.withdrawable),
            minimum=money(withdrawal_rules.MIN_WITHDRAWAL),
            link=self.settings.public_url.rstrip("/") + self.settings.bot_withdrawal_path,
        )

    async def passes_guard(self, text: str) -> bool:
        verdict = await guard.verdict_for_customer(self.session, self.customer_id, text)
        return verdict.ok

    async def activate_certificate(self, code: str) -> Outcome:
        try:
            result = await certificates.activate_certificate(
                self.session, self.principal, code, secret=self.settings.hashing_secret()
            )
        except ServiceError as refusal:
            await self.session.rollback()
            return Outcome(False, refusal.message, refusal.code)
        return Outcome(True, result.message)

    async def request_return(
        self, order_number: str, product_id: int, quantity: int, reason: str
    ) -> Outcome:
        try:
            result = await returns.request_return(
                self.session,
                self.principal,
                order_number,
                [returns.ReturnLine(product_id, quantity)],
                ReturnReason(reason),
            )
        except ServiceError as refusal:
            await self.session.rollback()
            return Outcome(False, refusal.message, refusal.code)
        return Outcome(True, result.message)


class ChatAccount(CustomerAccount):
    """The customer's account inside a message's transaction: before a use case that
    writes, the message is committed (a refusal's rollback must not take it away)."""

    committed: bool = False

    async def _commit_message(self) -> None:
        await self.session.commit()
        self.committed = True

    async def activate_certificate(self, code: str) -> Outcome:
        await self._commit_message()
        try:
            return await super().activate_certificate(code)
        except Exception:  # the reply (a handoff) follows in a clean transaction
            await self.session.rollback()
            raise

    async def request_return(
        self, order_number: str, product_id: int, quantity: int, reason: str
    ) -> Outcome:
        await self._commit_message()
        try:
            return await super().request_return(order_number, product_id, quantity, reason)
        except Exception:  # the reply (a handoff) follows in a clean transaction
            await self.session.rollback()
            raise
