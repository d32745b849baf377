"""One order with its items, history, payment and linked tasks (staff; a customer: their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from marketdesk.services import orders
from marketdesk.services.orders import OrderDetail

from .deps import CurrentPrincipal, DbSession

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

OrderNumber = Annotated[
    str, Path(pattern=r"^\d{4,12}-\d{1,6}$", max_length=32, description="Номер заказа")
]


@router.get("/{number}", response_model=OrderDetail)
async def get_order(
    number: OrderNumber, principal: CurrentPrincipal, session: DbSession
) -> OrderDetail:
    return await orders.order_detail(session, principal, number)
