"""The customer card and orders (operators)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from marketdesk.services import customer_communications, customer_search, customers
from marketdesk.services.customer_communications import CustomerConversations
from marketdesk.services.customer_search import CustomerHit
from marketdesk.services.customers import Contacts, CustomerCard, OrderPage

from .deps import CurrentOperator, DbSession
from .types import BigId

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

CustomerId = Annotated[BigId, Path(description="ID покупателя")]
OrderStatus = Literal[
    "created", "processing", "in_delivery", "ready_for_pickup", "completed", "cancelled"
]


class CustomerSearch(BaseModel):
    customers: list[CustomerHit]


@router.get("", response_model=CustomerSearch)
async def search(
    operator: CurrentOperator,
    session: DbSession,
    q: str = Query(
        max_length=400,
        description="Телефон в любой записи, e-mail, номер заказа, ID клиента или начало имени",
    ),
) -> CustomerSearch:
    """«Найти клиента»: masked like the card, audited (``customer.search``)."""
    return CustomerSearch(customers=await customer_search.search_customers(session, operator, q))


@router.get("/{customer_id}", response_model=CustomerCard)
async def get_customer(
    customer_id: CustomerId, operator: CurrentOperator, session: DbSession
) -> CustomerCard:
    return await customers.customer_card(session, operator, customer_id)


@router.get("/{customer_id}/orders", response_model=OrderPage)
async def get_orders(
    customer_id: CustomerId,
    operator: CurrentOperator,
    session: DbSession,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OrderPage:
    return await customers.customer_orders(
        session, operator, customer_id, status=status, limit=limit, offset=offset
    )


@router.get("/{customer_id}/conversations", response_model=CustomerConversations)
async def get_conversations(
    customer_id: CustomerId,
    operator: CurrentOperator,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CustomerConversations:
    """«Коммуникации»: the customer's conversations across lines and channels, newest first;
    ``readable``: whether the caller may open one (the lines rule)."""
    return await customer_communications.customer_conversations(
        session, operator, customer_id, limit=limit, offset=offset
    )


@router.post("/{customer_id}/contacts/reveal", response_model=Contacts)
async def reveal_contacts(
    customer_id: CustomerId, operator: CurrentOperator, session: DbSession
) -> Contacts:
    return await customers.reveal_contacts(session, operator, customer_id)
