"""One order opened from the card: its items, delivery, payment, status history, and the
back-office tasks and conversations about it (seed 000: the operator sees the order in the
CRM). Staff read any order; a customer reads their own."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import tasks as task_rules
from marketdesk.domain.special_categories import special_category_title
from marketdesk.store.models import Order, OrderItem, OrderStatusEvent, Product, Task

from .customers import Coded, money
from .errors import OrderNotFound
from .labels import DELIVERY_TYPE_TITLES, ORDER_STATUS_TITLES
from .principals import Principal

__all__ = ["OrderDetail", "order_detail", "readable_order"]

_PICKUP = {"pickup_point", "postamat"}
ADDRESS_KIND_TITLES = {
    "pickup_point": "Пункт выдачи",
    "courier": "Адрес покупателя",
    "post": "Почтовое отделение",
    "digital": "Электронная почта",
}


class OrderLine(BaseModel):
    product_id: int | None
    name: str
    quantity: int
    price: Decimal  # roubles per unit
    sum: Decimal
    special_category: str | None = None  # seed 000's «особые» goods (domain.special_categories)
    special_category_title: str | None = None


class StatusStep(BaseModel):
    status: Coded
    at: datetime


class Payment(BaseModel):
    amount: Decimal  # roubles
    method: str | None  # as the marketplace names it


class LinkedTask(BaseModel):
    number: str
    queue: str
    status: Coded
    conversation_id: int | None


class OrderDetail(BaseModel):
    number: str
    customer_id: int
    status: Coded
    delivery_type: Coded
    address_kind: Coded
    created_at: datetime
    payment: Payment
    items: list[OrderLine]
    history: list[StatusStep]
    tasks: list[LinkedTask]
    conversation_ids: list[int]  # the conversations of the tasks about the order


async def readable_order(session: AsyncSession, principal: Principal, number: str) -> Order:
    """The order ``number`` if ``principal`` may read it: staff any, a customer their own;
    someone else's order is «not found» to a customer (no existence oracle)."""
    order = await session.scalar(select(Order).where(Order.number == number))
    mine = (
        principal.kind == "customer"
        and order is not None
        and order.customer_id == int(principal.id)
    )
    if order is None or not (mine or principal.is_operator):
        raise OrderNotFound(number=number)
    return order


async def order_detail(session: AsyncSession, principal: Principal, number: str) -> OrderDetail:
    order = await readable_order(session, principal, number)
    lines = await session.execute(
        select(OrderItem, Product.special_category)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    )
    steps = await session.scalars(
        select(OrderStatusEvent)
        .where(OrderStatusEvent.order_id == order.id)
        .order_by(OrderStatusEvent.at, OrderStatusEvent.id)
    )
    tasks = (
        list(
            await session.scalars(
                select(Task).where(Task.order_number == order.number).order_by(Task.id)
            )
        )
        if principal.is_operator  # back-office work is internal
        else []
    )
    address = "pickup_point" if order.delivery_type in _PICKUP else order.delivery_type
    return OrderDetail(
        number=order.number,
        customer_id=order.customer_id,
        status=_status(order.status),
        delivery_type=Coded(
            code=order.delivery_type,
            title=DELIVERY_TYPE_TITLES.get(order.delivery_type, order.delivery_type),
        ),
        address_kind=Coded(code=address, title=ADDRESS_KIND_TITLES.get(address, address)),
        created_at=order.created_at,
        payment=Payment(amount=money(order.total), method=order.payment_method),
        items=[
            OrderLine(
                product_id=line.product_id,
                name=line.name,
                quantity=line.quantity,
                price=money(line.price),
                sum=money(line.price * line.quantity),
                special_category=special,
                special_category_title=special_category_title(special),
            )
            for line, special in lines
        ],
        history=[StatusStep(status=_status(step.status), at=step.at) for step in steps],
        tasks=[
            LinkedTask(
                number=task.number,
                queue=task.queue,
                status=Coded(
                    code=task.status,
                    title=task_rules.TASK_STATUS_TITLES_RU[task_rules.TaskStatus(task.status)],
                ),
                conversation_id=task.conversation_id,
            )
            for task in tasks
        ],
        conversation_ids=sorted({t.conversation_id for t in tasks if t.conversation_id}),
    )


def _status(code: str) -> Coded:
    return Coded(code=code, title=ORDER_STATUS_TITLES.get(code, code))
