"""One order with its items, history, payment and linked tasks, and return requests (staff;
a customer: their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.domain.returns import ReturnReason
from marketdesk.services import orders, returns
from marketdesk.services.orders import OrderDetail
from marketdesk.services.returns import ReturnLine, ReturnResult

from .deps import CurrentPrincipal, DbSession
from .types import BigId

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

OrderNumber = Annotated[
    str, Path(pattern=r"^\d{4,12}-\d{1,6}$", max_length=32, description="Номер заказа")
]


@router.get("/{number}", response_model=OrderDetail)
async def get_order(
    number: OrderNumber, principal: CurrentPrincipal, session: DbSession
) -> OrderDetail:
    return await orders.order_detail(session, principal, number)


class ReturnItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: BigId
    quantity: int = Field(ge=1, le=10_000)


class ReturnBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ReturnItemBody] = Field(min_length=1, max_length=100)
    reason: ReturnReason


@router.post("/{number}/returns", response_model=ReturnResult, status_code=201)
async def request_return(
    number: OrderNumber, body: ReturnBody, principal: CurrentPrincipal, session: DbSession
) -> ReturnResult:
    """A return by the product's terms: 201 with the return's number and its task, or 409
    ``return_refused`` with the reason and the day the term ended."""
    lines = [ReturnLine(item.product_id, item.quantity) for item in body.items]
    return await returns.request_return(session, principal, number, lines, body.reason)
