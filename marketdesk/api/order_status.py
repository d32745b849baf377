"""The order system's feed of order statuses: each change raises the customer's
notification (``services.order_status``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from marketdesk.services import order_status
from marketdesk.services.order_status import OrderStatusChanged

from .deps import CurrentOperator, DbSession

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

OrderNumber = Annotated[
    str, Path(pattern=r"^\d{4,12}-\d{1,6}$", max_length=32, description="Номер заказа")
]


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(
        min_length=1,
        max_length=20,
        description="created, processing, in_delivery, ready_for_pickup, completed, cancelled",
    )
    at: AwareDatetime | None = Field(default=None, description="когда (по умолчанию: сейчас)")


@router.post("/{number}/status", response_model=OrderStatusChanged)
async def change_status(
    number: OrderNumber, body: StatusBody, principal: CurrentOperator, session: DbSession
) -> OrderStatusChanged:
    """Admins (the order system's account): the order's new status; the customer is
    notified through their channels for orders."""
    at: datetime | None = body.at
    return await order_status.change_order_status(session, principal, number, body.status, at=at)
