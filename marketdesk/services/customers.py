"""The customer card and the customer's orders, as operators see them (seed 000's WebCRM)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.coupon_ban import decide_coupon_ban
from marketdesk.domain.privacy import mask_email, mask_phone
from marketdesk.domain.returns import RETURN_REASON_TITLES_RU, ReturnReason
from marketdesk.store.json_rows import rows_as_json, rows_from_json, utc, utc_or_none
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


# The card is one statement, built once: the customer's row with each of the card's lists
# as a JSON column (marketdesk.store.json_rows). A statement per list cost a round trip on
# PostgreSQL and, on both databases, more of SQLAlchemy's CPU than the database took.
_CUSTOMER_ID = bindparam("customer_id", type_=Customer.id.type)
_ORDERS_ORDER = (Order.created_at.desc(), Order.id.desc())
# the last orders and, by window functions over all of them, the statistics
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
    .order_by(*_ORDERS_ORDER)
    .limit(LAST_ORDERS_ON_CARD)
)
_CERTIFICATES_ORDER = (GiftCertificate.activated_at.desc(), GiftCertificate.id.desc())
_CARD_CERTIFICATES = (
    select(
        GiftCertificate.code_tail,
        GiftCertificate.nominal,
        GiftCertificate.kind,
        GiftCertificate.activated_at,
        GiftCertificate.expires_at,
    )
    .where(GiftCertificate.activated_by == _CUSTOMER_ID)
    .order_by(*_CERTIFICATES_ORDER)
)
_TASKS_ORDER = (Task.created_at.desc(), Task.id.desc())
_CARD_TASKS = (
    select(Task.number, Task.queue, Task.title, Task.status, Task.deadline_at)
    .where(Task.customer_id == _CUSTOMER_ID, Task.status.in_(ACTIVE_TASK_STATUSES))
    .order_by(*_TASKS_ORDER)
)
_COMMENTS_ORDER = (CustomerComment.created_at.desc(), CustomerComment.id.desc())
_CARD_COMMENTS = (
    select(
        CustomerComment.id,
        CustomerComment.text,
        Operator.full_name,
        CustomerComment.created_at,
    )
    .outerjoin(Operator, Operator.id == CustomerComment.author_id)
    .where(CustomerComment.customer_id == _CUSTOMER_ID)
    .order_by(*_COMMENTS_ORDER)
    .limit(COMMENTS_ON_CARD)
)
_BALANCES_ORDER = (BalanceEntry.kind, BalanceEntry.source)
_CARD_BALANCES = (
    select(BalanceEntry.kind, BalanceEntry.source, func.sum(BalanceEntry.amount))
    .where(BalanceEntry.customer_id == _CUSTOMER_ID)
    .group_by(*_BALANCES_ORDER)
)
_RETURNS_ORDER = (ReturnRequest.created_at.desc(), ReturnRequest.id.desc())
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
    .order_by(*_RETURNS_ORDER)
    .limit(RETURNS_ON_CARD)
)
_CARD = (
    select(
        Customer,
        CouponBan.intersections,
        CouponBan.lifted_at,
        rows_as_json(_CARD_ORDERS, _ORDERS_ORDER).label("orders"),
        rows_as_json(_CARD_CERTIFICATES, _CERTIFICATES_ORDER).label("certificates"),
        rows_as_json(_CARD_TASKS, _TASKS_ORDER).label("tasks"),
        rows_as_json(_CARD_COMMENTS, _COMMENTS_ORDER).label("comments"),
        rows_as_json(_CARD_BALANCES, _BALANCES_ORDER).label("balances"),
        rows_as_json(_CARD_RETURNS, _RETURNS_ORDER).label("returns"),
    )
    .outerjoin(CouponBan, CouponBan.customer_id == Customer.id)
    .where(Customer.id == _CUSTOMER_ID)
)


class _CardOrder(NamedTuple):
    number: str
    status: str
    delivery_type: str
    created_at: datetime
    total: int


def _balance_views(rows: list[list[Any]]) -> list[BalanceView]:
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


def _coupon_ban_view(intersections: int | None, lifted_at: datetime | None) -> CouponBanView | None:
    if intersections and lifted_at is None:
        verdict = decide_coupon_ban(intersections)
        return CouponBanView(
            intersections=intersections,
            decision=str(verdict.decision),
            can_create_task=verdict.create_task,
            task_queue=verdict.task_queue,
            operator_message=verdict.operator_message_ru,
        )
    if intersections:
        return CouponBanView(
            intersections=intersections,
            decision="lifted",
            can_create_task=False,
            task_queue=None,
            operator_message=TEXT_BAN_LIFTED,
            lifted_at=lifted_at,
        )
    return None


async def customer_card(
    session: AsyncSession, principal: Principal, customer_id: int, *, now: datetime | None = None
) -> CustomerCard:
    """The customer's card: one statement (see ``_CARD``)."""
    principal.require_operator()
    now = now or utcnow()
    row = (await session.execute(_CARD, {"customer_id": customer_id})).first()
    if row is None:
        raise CustomerNotFound(customer_id=customer_id)
    customer: Customer = row.Customer
    orders = rows_from_json(row.orders)
    total, completed, cancelled = (
        (orders[0][5], orders[0][6], orders[0][7]) if orders else (0, 0, 0)
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
        balances=_balance_views(rows_from_json(row.balances)),
        last_orders=[
            _order_view(_CardOrder(number, status, kind, utc(at), int(sum_)), now)
            for number, status, kind, at, sum_, *_ in orders
        ],
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
                code_tail=tail,
                nominal=money(nominal),
                kind=kind,
                activated_at=utc_or_none(activated_at),
                expires_at=utc_or_none(expires_at),
            )
            for tail, nominal, kind, activated_at, expires_at in rows_from_json(row.certificates)
        ],
        active_tasks=[
            TaskView(
                number=number, queue=queue, title=title, status=status, deadline_at=utc_or_none(at)
            )
            for number, queue, title, status, at in rows_from_json(row.tasks)
        ],
        comments=[
            CommentView(id=comment_id, text=text, author=author, created_at=utc(at))
            for comment_id, text, author, at in rows_from_json(row.comments)
        ],
        coupon_ban=_coupon_ban_view(row.intersections, row.lifted_at),
        returns=[
            ReturnView(
                number=number,
                order_number=order_number,
                reason=Coded(code=reason, title=RETURN_REASON_TITLES_RU[ReturnReason(reason)]),
                task_number=task_number,
                created_at=utc(at),
            )
            for number, order_number, reason, task_number, at in rows_from_json(row.returns)
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
