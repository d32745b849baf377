"""A return request for an order (issue 11, item 6): decided by the products' return terms
(``domain.returns``); an accepted one is recorded with a number and opens a back-office task
in the «Возвраты» queue, in one transaction. The customer asks for their own order; an
operator asks for the customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.markdown import GoodsGroup
from marketdesk.domain.returns import (
    RETURN_REASON_TITLES_RU,
    ReturnReason,
    ReturnTerms,
    decide_return,
)
from marketdesk.domain.tasks import MOSCOW_TZ, RETURNS_QUEUE
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.models import (
    Order,
    OrderItem,
    OrderStatusEvent,
    Product,
    ReturnItem,
    ReturnRequest,
    utcnow,
)

from . import audit, webhooks
from .errors import ReturnItemNotInOrder, ReturnQuantityTooLarge, ReturnRefused
from .orders import readable_order
from .principals import Principal
from .tasks import create_task
from .webhooks.payloads import return_data

__all__ = ["ReturnLine", "ReturnResult", "request_return"]


@dataclass(frozen=True, slots=True)
class ReturnLine:
    product_id: int
    quantity: int


class ReturnResult(BaseModel):
    number: str
    order_number: str
    reason: str
    reason_title: str
    task_number: str
    message: str  # Russian, for the customer
    last_day: date | None


def _terms(product: Product) -> ReturnTerms:
    return ReturnTerms(
        check_days=product.return_check_days,
        return_days=product.return_days,
        warranty_months=product.warranty_months,
        gift_card=product.goods_group == GoodsGroup.GIFT_CARDS,
        digital=product.special_category == "digital",
    )


async def _received_on(session: AsyncSession, order: Order) -> date | None:
    """The day (Moscow time) the order was received: its last move to «Выполнен»."""
    if order.status != "completed":
        return None
    at = await session.scalar(
        select(func.max(OrderStatusEvent.at)).where(
            OrderStatusEvent.order_id == order.id, OrderStatusEvent.status == "completed"
        )
    )
    return (at or order.created_at).astimezone(MOSCOW_TZ).date()


async def request_return(
    session: AsyncSession,
    principal: Principal,
    number: str,
    lines: Sequence[ReturnLine],
    reason: ReturnReason,
    *,
    now: datetime | None = None,
) -> ReturnResult:
    now = now or utcnow()
    merged: dict[int, int] = {}
    for line in lines:  # the same product twice: one line
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    lines = [ReturnLine(product_id, quantity) for product_id, quantity in merged.items()]
    order = await readable_order(session, principal, number)
    ordered = {
        item.product_id: item
        for item in await session.scalars(select(OrderItem).where(OrderItem.order_id == order.id))
        if item.product_id is not None
    }
    received = await _received_on(session, order)
    today = now.astimezone(MOSCOW_TZ).date()
    last_days = []
    for line in lines:
        item = ordered.get(line.product_id)
        if item is None:
            raise ReturnItemNotInOrder(product_id=line.product_id, number=number)
        if line.quantity > item.quantity:
            raise ReturnQuantityTooLarge(name=item.name, ordered=item.quantity)
        product = await session.get(Product, line.product_id)
        assert product is not None  # an order item's product (SET NULL on delete)
        decision = decide_return(reason, received, today, _terms(product))
        if not decision.accepted:
            raise ReturnRefused(
                reasons=decision.message_ru,
                refusal=decision.code,
                last_day=decision.last_day.isoformat() if decision.last_day else None,
            )
        last_days.append(decision.last_day)
    record = ReturnRequest(
        number=f"tmp-{order.id}-{now.timestamp()}",
        order_id=order.id,
        customer_id=order.customer_id,
        reason=str(reason),
        created_at=now,
    )
    session.add(record)
    await session.flush()
    record.number = f"RET-{record.id:07d}"
    names = {line.product_id: ordered[line.product_id].name for line in lines}
    session.add_all(
        ReturnItem(
            return_id=record.id,
            product_id=line.product_id,
            name=names[line.product_id],
            quantity=line.quantity,
        )
        for line in lines
    )
    title = RETURN_REASON_TITLES_RU[reason]
    task = await create_task(
        session,
        principal if principal.is_operator else None,
        queue=RETURNS_QUEUE,
        title=f"Возврат {record.number} по заказу {order.number}: {title.lower()}",
        description="\n".join(f"{names[ln.product_id]} × {ln.quantity}" for ln in lines),
        customer_id=order.customer_id,
        order_number=order.number,
        product_id=lines[0].product_id,
        commit=False,
        on_behalf_of=principal,
    )
    record.task_number = task.number
    audit.record(
        session,
        principal,
        "order.return_requested",
        entity_kind="order",
        entity_id=order.number,
        return_number=record.number,
        reason=str(reason),
    )
    await webhooks.emit(
        session,
        WebhookEvent.RETURN_CREATED,
        lambda: return_data(
            record,
            order.number,
            [(ln.product_id, names[ln.product_id], ln.quantity) for ln in lines],
        ),
    )
    await session.commit()
    last_day = min((d for d in last_days if d is not None), default=None)
    return ReturnResult(
        number=record.number,
        order_number=order.number,
        reason=str(reason),
        reason_title=title,
        task_number=task.number,
        message=(
            f"Заявка на возврат {record.number} принята. Мы передали её специалистам "
            f"(заявка {task.number}) и сообщим решение."
        ),
        last_day=last_day,
    )
