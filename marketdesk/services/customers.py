"""The customer card and the customer's orders, as operators see them (seed 000's WebCRM)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.coupon_ban import decide_coupon_ban
from marketdesk.domain.privacy import mask_email, mask_phone
from marketdesk.domain.returns import RETURN_REASON_TITLES_RU, ReturnReason
from marketdesk.store.models import (
    BalanceEntry,
    CouponBan,
    Customer,
    CustomerComment,
    GiftCertificate,
    Operator,
    Order,
    ReturnRequest,
    Task,
    utcnow,
)

from . import audit
from .errors import CustomerNotFound
from .labels import (
    BALANCE_KIND_TITLES,
    BALANCE_KIND_UNITS,
    BALANCE_SOURCE_TITLES,
    DELIVERY_TYPE_TITLES,
    ORDER_STATUS_TITLES,
    PROFITABILITY_TITLES,
)
from .principals import Principal

__all__ = [
    "BalanceView",
    "CustomerCard",
    "OrderView",
    "customer_card",
    "customer_orders",
    "money",
    "reveal_contacts",
]

LAST_ORDERS_ON_CARD = 3
COMMENTS_ON_CARD = 20
ACTIVE_TASK_STATUSES = ("new", "in_progress", "waiting")


def money(minor_units: int) -> Decimal:
    """Kopecks (or hundredths of a point) as an exact decimal: 164900 → Decimal('1649.00')."""
    return (Decimal(minor_units) / 100).quantize(Decimal("0.01"))


class Coded(BaseModel):
    code: str
    title: str


class BalanceSourceView(BaseModel):
    source: Coded
    amount: Decimal


class BalanceView(BaseModel):
    kind: Coded
    amount: Decimal
    unit: str
    sources: list[BalanceSourceView]


class OrderView(BaseModel):
    number: str
    status: Coded
    delivery_type: Coded
    created_at: datetime
    age_days: int
    total: Decimal


class CommentView(BaseModel):
    id: int
    text: str
    author: str | None
    created_at: datetime


class CertificateView(BaseModel):
    code_tail: str
    nominal: Decimal
    kind: str
    activated_at: datetime | None
    expires_at: datetime | None


class TaskView(BaseModel):
    number: str
    queue: str
    title: str
    status: str
    deadline_at: datetime | None


RETURNS_ON_CARD = 20
TEXT_BAN_LIFTED = "Ограничение снято бэк-офисом: купоны клиента снова доступны."


class CouponBanView(BaseModel):
    intersections: int
    decision: str
    can_create_task: bool
    task_queue: str | None
    operator_message: str
    lifted_at: datetime | None = None  # lifted by the back office: the coupons are available


class Statistics(BaseModel):
    orders_total: int
    orders_completed: int
    orders_cancelled: int
    profitability: Coded


class Contacts(BaseModel):
    phone: str | None
    email: str | None


class ReturnView(BaseModel):
    number: str
    order_number: str
    reason: Coded
    task_number: str | None
    created_at: datetime


def masked_contacts(customer: Customer) -> Contacts:
    """The phone and the e-mail as staff see them until they ask for them (audited)."""
    return Contacts(
        phone=mask_phone(customer.phone) if customer.phone else None,
        email=mask_email(customer.email) if customer.email else None,
    )


class CustomerCard(BaseModel):
    id: int
    full_name: str
    kind: Coded
    company_name: str | None
    registered_on: date
    birth_date: date | None
    contacts_masked: Contacts
    timezone: str
    local_time: str
    balances: list[BalanceView]
    last_orders: list[OrderView]
    statistics: Statistics
    certificates: list[CertificateView]
    active_tasks: list[TaskView]
    comments: list[CommentView]
    coupon_ban: CouponBanView | None
    returns: list[ReturnView] = []  # «Возвраты»: the latest return requests


def _order_view(order: Any, now: datetime) -> OrderView:
    """From an Order, or a row with its columns."""
    return OrderView(
        number=order.number,
        status=Coded(code=order.status, title=ORDER_STATUS_TITLES[order.status]),
        delivery_type=Coded(
            code=order.delivery_type, title=DELIVERY_TYPE_TITLES[order.delivery_type]
        ),
        created_at=order.created_at,
        age_days=(now - order.created_at).days,
        total=money(order.total),
    )


def _local_time(timezone: str, now: datetime) -> str:
    try:
        return now.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    except (ZoneInfoNotFoundError, ValueError):
        return now.strftime("%H:%M UTC")


async def _get_customer(session: AsyncSession, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    return customer


async def _balances(session: AsyncSession, customer_id: int) -> list[BalanceView]:
    rows = await session.execute(_CARD_BALANCES, {"customer_id": customer_id})
    by_kind: dict[str, dict[str, int]] = {kind: {} for kind in BALANCE_KIND_TITLES}
    for kind, source, amount in rows:
        by_kind[kind][source] = int(amount or 0)
    return [
        BalanceView(
            kind=Coded(code=kind, title=BALANCE_KIND_TITLES[kind]),
            amount=money(sum(sources.values())),
            unit=BALANCE_KIND_UNITS[kind],
            sources=[
                BalanceSourceView(
                    source=Coded(code=source, title=BALANCE_SOURCE_TITLES[source]),
                    amount=money(amount),
                )
                for source, amount in sorted(sources.items())
                if amount
            ],
        )
        for kind, sources in by_kind.items()
    ]


# The card's statements, built once: a statement built per call cost more CPU (its
# construction and its cache key) than SQLite took to run it.
_CUSTOMER_ID = bindparam("customer_id", type_=Customer.id.type)
_CARD_CUSTOMER = (
    select(Customer, CouponBan.intersections, CouponBan.lifted_at)
    .outerjoin(CouponBan, CouponBan.customer_id == Customer.id)
    .where(Customer.id == _CUSTOMER_ID)
)
# the last orders and, by window functions over all of them, the statistics: one query
_CARD_ORDERS = (
    select(
        Order.number,
        Order.status,
        Order.delivery_type,
        Order.created_at,
        Order.total,
        func.count().over().label("n_total"),
        func.sum(case((Order.status == "completed", 1), else_=0)).over().label("n_done"),
        func.sum(case((Order.status == "cancelled", 1), else_=0)).over().label("n_off"),
    )
    .where(Order.customer_id == _CUSTOMER_ID)
    .order_by(Order.created_at.desc(), Order.id.desc())
    .limit(LAST_ORDERS_ON_CARD)
)
_CARD_CERTIFICATES = (
    select(
        GiftCertificate.code_tail,
        GiftCertificate.nominal,
        GiftCertificate.kind,
        GiftCertificate.activated_at,
        GiftCertificate.expires_at,
    )
    .where(GiftCertificate.activated_by == _CUSTOMER_ID)
    .order_by(GiftCertificate.activated_at.desc())
)
_CARD_TASKS = (
    select(Task.number, Task.queue, Task.title, Task.status, Task.deadline_at)
    .where(Task.customer_id == _CUSTOMER_ID, Task.status.in_(ACTIVE_TASK_STATUSES))
    .order_by(Task.created_at.desc())
)
_CARD_COMMENTS = (
    select(
        CustomerComment.id,
        CustomerComment.text,
        Operator.full_name,
        CustomerComment.created_at,
    )
    .outerjoin(Operator, Operator.id == CustomerComment.author_id)
    .where(CustomerComment.customer_id == _CUSTOMER_ID)
    .order_by(CustomerComment.created_at.desc(), CustomerComment.id.desc())
    .limit(COMMENTS_ON_CARD)
)
_CARD_BALANCES = (
    select(BalanceEntry.kind, BalanceEntry.source, func.sum(BalanceEntry.amount))
    .where(BalanceEntry.customer_id == _CUSTOMER_ID)
    .group_by(BalanceEntry.kind, BalanceEntry.source)
)
_CARD_RETURNS = (
    select(
        ReturnRequest.number,
        Order.number.label("order_number"),
        ReturnRequest.reason,
        ReturnRequest.task_number,
        ReturnRequest.created_at,
    )
    .join(Order, Order.id == ReturnRequest.order_id)
    .where(ReturnRequest.customer_id == _CUSTOMER_ID)
    .order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc())
    .limit(RETURNS_ON_CARD)
)


async def customer_card(
    session: AsyncSession, principal: Principal, customer_id: int, *, now: datetime | None = None
) -> CustomerCard:
    principal.require_operator()
    now = now or utcnow()
    by_id = {"customer_id": customer_id}
    row = (await session.execute(_CARD_CUSTOMER, by_id)).first()
    if row is None:
        raise CustomerNotFound(customer_id=customer_id)
    customer, intersections, lifted_at = row
    order_rows = (await session.execute(_CARD_ORDERS, by_id)).all()
    total, completed, cancelled = (
        (order_rows[0].n_total, order_rows[0].n_done, order_rows[0].n_off)
        if order_rows
        else (0, 0, 0)
    )
    certificates = (await session.execute(_CARD_CERTIFICATES, by_id)).all()
    tasks = (await session.execute(_CARD_TASKS, by_id)).all()
    comments = (await session.execute(_CARD_COMMENTS, by_id)).all()
    return_rows = (await session.execute(_CARD_RETURNS, by_id)).all()
    ban_view = None
    if intersections and lifted_at is None:
        verdict = decide_coupon_ban(intersections)
        ban_view = CouponBanView(
            intersections=intersections,
            decision=str(verdict.decision),
            can_create_task=verdict.create_task,
            task_queue=verdict.task_queue,
            operator_message=verdict.operator_message_ru,
        )
    elif intersections:
        ban_view = CouponBanView(
            intersections=intersections,
            decision="lifted",
            can_create_task=False,
            task_queue=None,
            operator_message=TEXT_BAN_LIFTED,
            lifted_at=lifted_at,
        )

    return CustomerCard(
        id=customer.id,
        full_name=customer.full_name,
        kind=Coded(
            code=customer.kind,
            title="Физическое лицо" if customer.kind == "individual" else "Юридическое лицо",
        ),
        company_name=customer.company_name,
        registered_on=customer.registered_on,
        birth_date=customer.birth_date,
        contacts_masked=masked_contacts(customer),
        timezone=customer.timezone,
        local_time=_local_time(customer.timezone, now),
        balances=await _balances(session, customer_id),
        last_orders=[_order_view(order, now) for order in order_rows],
        statistics=Statistics(
            orders_total=int(total),
            orders_completed=int(completed),
            orders_cancelled=int(cancelled),
            profitability=Coded(
                code=customer.profitability, title=PROFITABILITY_TITLES[customer.profitability]
            ),
        ),
        certificates=[
            CertificateView(
                code_tail=c.code_tail,
                nominal=money(c.nominal),
                kind=c.kind,
                activated_at=c.activated_at,
                expires_at=c.expires_at,
            )
            for c in certificates
        ],
        active_tasks=[
            TaskView(
                number=t.number,
                queue=t.queue,
                title=t.title,
                status=t.status,
                deadline_at=t.deadline_at,
            )
            for t in tasks
        ],
        comments=[
            CommentView(id=c.id, text=c.text, author=c.full_name, created_at=c.created_at)
            for c in comments
        ],
        coupon_ban=ban_view,
        returns=[
            ReturnView(
                number=r.number,
                order_number=r.order_number,
                reason=Coded(code=r.reason, title=RETURN_REASON_TITLES_RU[ReturnReason(r.reason)]),
                task_number=r.task_number,
                created_at=r.created_at,
            )
            for r in return_rows
        ],
    )


class OrderPage(BaseModel):
    customer_id: int
    total: int
    orders: list[OrderView]


async def customer_orders(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    *,
    status: str | None = None,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
) -> OrderPage:
    principal.require_operator()
    now = now or utcnow()
    await _get_customer(session, customer_id)
    where = [Order.customer_id == customer_id]
    if status is not None:
        where.append(Order.status == status)
    total = await session.scalar(select(func.count(Order.id)).where(*where))
    orders = await session.scalars(
        select(Order)
        .where(*where)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return OrderPage(
        customer_id=customer_id,
        total=int(total or 0),
        orders=[_order_view(order, now) for order in orders],
    )


async def reveal_contacts(
    session: AsyncSession, principal: Principal, customer_id: int
) -> Contacts:
    """Unmasked phone and e-mail; every reveal is written to the audit log."""
    principal.require_operator()
    customer = await _get_customer(session, customer_id)
    audit.record(
        session,
        principal,
        "customer.contacts_revealed",
        entity_kind="customer",
        entity_id=customer.id,
    )
    await session.commit()
    return Contacts(phone=customer.phone, email=customer.email)
