"""The customer's own account («Личный кабинет», issue 14 item 3), read side: their orders
with the items, the balance by kind with where the money came from, and their gift
certificates with the state of the daily activation limit. Writes go through the services of
their rules: ``returns.request_return``, ``balance.withdraw``,
``certificates.activate_certificate``. Only a logged-in customer has an account."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import certificates as certificate_rules
from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.store.models import (
    BalanceEntry,
    Customer,
    GiftCertificate,
    Order,
    OrderItem,
    OrderStatusEvent,
    ReturnRequest,
    utcnow,
)

from .balance import BalanceView, balance_view, rubles_balance
from .customers import Coded, money
from .errors import AccountCustomerOnly
from .labels import (
    BALANCE_KIND_TITLES,
    BALANCE_KIND_UNITS,
    BALANCE_SOURCE_TITLES,
    DELIVERY_TYPE_TITLES,
    ORDER_STATUS_TITLES,
)
from .principals import Principal

__all__ = [
    "MY_ORDERS_LIMIT",
    "MyBalances",
    "MyCertificates",
    "MyOrders",
    "my_balances",
    "my_certificates",
    "my_orders",
]

MY_ORDERS_LIMIT = 50  # the newest orders the account lists


class MyOrderItem(BaseModel):
    product_id: int | None
    name: str
    quantity: int
    price: Decimal  # roubles per unit
    sum: Decimal


class MyOrder(BaseModel):
    number: str
    status: Coded
    delivery_type: Coded
    created_at: datetime
    received_on: date | None  # Moscow day of the last move to «Выполнен»: returns count from it
    total: Decimal
    items: list[MyOrderItem]
    returns: list[str]  # the numbers of the accepted return requests


class MyOrders(BaseModel):
    orders: list[MyOrder]


class MySource(BaseModel):
    source: Coded
    amount: Decimal


class MyBalance(BaseModel):
    kind: Coded
    amount: Decimal
    unit: str
    sources: list[MySource]  # where the money came from (and went: withdrawals, payments)


class MyBalances(BaseModel):
    balances: list[MyBalance]
    rubles: BalanceView  # of the rubles: the certificate money and what may be withdrawn


class MyCertificate(BaseModel):
    code_masked: str  # the last characters only: the code is never stored
    nominal: Decimal
    kind: str
    activated_at: datetime
    money_expires_at: datetime


class ActivationLimit(BaseModel):
    per_day: int
    used: int  # activations in the last 24 hours
    lifts_at: datetime | None  # when the next activation is possible, if the limit is reached
    individual: bool  # only an individual may activate (seed 000)


class MyCertificates(BaseModel):
    certificates: list[MyCertificate]
    limit: ActivationLimit


def _customer(principal: Principal) -> int:
    if principal.kind != "customer":
        raise AccountCustomerOnly()
    return int(principal.id)


async def my_orders(session: AsyncSession, principal: Principal) -> MyOrders:
    customer_id = _customer(principal)
    orders = list(
        await session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(MY_ORDERS_LIMIT)
        )
    )
    ids = [order.id for order in orders]
    items: dict[int, list[OrderItem]] = defaultdict(list)
    received: dict[int, datetime] = {}
    returns: dict[int, list[str]] = defaultdict(list)
    if ids:
        for item in await session.scalars(
            select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)
        ):
            items[item.order_id].append(item)
        for order_id, at in await session.execute(
            select(OrderStatusEvent.order_id, func.max(OrderStatusEvent.at))
            .where(OrderStatusEvent.order_id.in_(ids), OrderStatusEvent.status == "completed")
            .group_by(OrderStatusEvent.order_id)
        ):
            received[order_id] = at
        for order_id, number in await session.execute(
            select(ReturnRequest.order_id, ReturnRequest.number)
            .where(ReturnRequest.order_id.in_(ids))
            .order_by(ReturnRequest.id)
        ):
            returns[order_id].append(number)
    return MyOrders(orders=[_order(o, items[o.id], received, returns[o.id]) for o in orders])


def _order(
    order: Order, items: list[OrderItem], received: dict[int, datetime], returns: list[str]
) -> MyOrder:
    received_on = None
    if order.status == "completed":
        at = received.get(order.id) or order.created_at
        received_on = at.astimezone(MOSCOW_TZ).date()
    return MyOrder(
        number=order.number,
        status=Coded(code=order.status, title=ORDER_STATUS_TITLES.get(order.status, order.status)),
        delivery_type=Coded(
            code=order.delivery_type,
            title=DELIVERY_TYPE_TITLES.get(order.delivery_type, order.delivery_type),
        ),
        created_at=order.created_at,
        received_on=received_on,
        total=money(order.total),
        items=[
            MyOrderItem(
                product_id=item.product_id,
                name=item.name,
                quantity=item.quantity,
                price=money(item.price),
                sum=money(item.price * item.quantity),
            )
            for item in items
        ],
        returns=returns,
    )


async def my_balances(session: AsyncSession, principal: Principal) -> MyBalances:
    customer_id = _customer(principal)
    rows = await session.execute(
        select(BalanceEntry.kind, BalanceEntry.source, func.sum(BalanceEntry.amount))
        .where(BalanceEntry.customer_id == customer_id)
        .group_by(BalanceEntry.kind, BalanceEntry.source)
    )
    by_kind: dict[str, dict[str, int]] = {kind: {} for kind in BALANCE_KIND_TITLES}
    for kind, source, amount in rows:
        by_kind.setdefault(kind, {})[source] = int(amount or 0)
    balances = [
        MyBalance(
            kind=Coded(code=kind, title=BALANCE_KIND_TITLES.get(kind, kind)),
            amount=money(sum(sources.values())),
            unit=BALANCE_KIND_UNITS.get(kind, ""),
            sources=[
                MySource(
                    source=Coded(code=source, title=BALANCE_SOURCE_TITLES.get(source, source)),
                    amount=money(amount),
                )
                for source, amount in sorted(sources.items())
                if amount
            ],
        )
        for kind, sources in by_kind.items()
    ]
    rubles = balance_view(await rubles_balance(session, customer_id))
    return MyBalances(balances=balances, rubles=rubles)


async def my_certificates(
    session: AsyncSession, principal: Principal, *, now: datetime | None = None
) -> MyCertificates:
    customer_id = _customer(principal)
    now = now or utcnow()
    rows = list(
        await session.scalars(
            select(GiftCertificate)
            .where(GiftCertificate.activated_by == customer_id)
            .order_by(GiftCertificate.activated_at.desc(), GiftCertificate.id.desc())
        )
    )
    activated = [row.activated_at for row in rows if row.activated_at is not None]
    window_start = now - certificate_rules.ACTIVATION_WINDOW
    # the rule itself says when the limit lifts: ask it about a valid code
    decision = certificate_rules.check_activation(
        certificate_status=certificate_rules.CertificateStatus.ISSUED,
        certificate_expires_at=None,
        customer_is_individual=True,
        recent_activations=activated,
        now=now,
    )
    kind = await session.scalar(select(Customer.kind).where(Customer.id == customer_id))
    return MyCertificates(
        certificates=[
            MyCertificate(
                code_masked="••••-" + row.code_tail,
                nominal=money(row.nominal),
                kind=row.kind,
                activated_at=row.activated_at,
                money_expires_at=certificate_rules.certificate_money_expires_at(row.activated_at),
            )
            for row in rows
            if row.activated_at is not None
        ],
        limit=ActivationLimit(
            per_day=certificate_rules.CERTIFICATE_DAILY_LIMIT,
            used=sum(1 for at in activated if at > window_start),
            lifts_at=decision.retry_at,
            individual=kind == "individual",
        ),
    )
