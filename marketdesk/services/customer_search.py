"""«Найти клиента»: one search box for a phone, an e-mail, an order number, an ID or a name
(``domain.customer_search`` reads the query). Staff only; results masked like the card;
every search is audited, by the kinds of key it was read as and the number of results,
never the query itself (it is personal data).

Every key is an indexed equality or a prefix range, so a search costs a few index lookups
whatever the number of customers (``bench/customer_search.py``).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.customer_search import SearchQueryError, plan_search
from marketdesk.store.models import Customer, Order

from . import audit
from .customers import Contacts, masked_contacts
from .errors import SearchQueryEmpty, SearchQueryTooLong, SearchQueryUnclear
from .principals import Principal

__all__ = ["MAX_RESULTS", "CustomerHit", "search_customers"]

MAX_RESULTS = 20
"""At most this many customers are listed (a name prefix can fit many: type more of it)."""

_MATCH_TITLES_RU = {
    "phone": "телефон",
    "email": "e-mail",
    "order": "номер заказа",
    "id": "ID клиента",
    "name": "имя",
}


class CustomerHit(BaseModel):
    id: int
    full_name: str
    kind: str
    registered_on: date
    contacts_masked: Contacts
    matched_by: list[str]  # phone, email, order, id, name
    matched_by_title: str  # Russian, for the list


async def search_customers(
    session: AsyncSession, principal: Principal, query: str, *, limit: int = MAX_RESULTS
) -> list[CustomerHit]:
    """The customers the query finds, exact keys first, then names in alphabetical order."""
    principal.require_operator()
    try:
        plan = plan_search(query)
    except SearchQueryError as exc:
        raise {"empty": SearchQueryEmpty, "too_long": SearchQueryTooLong}.get(
            exc.reason, SearchQueryUnclear
        )() from None
    limit = max(1, min(limit, MAX_RESULTS))
    found: dict[int, tuple[Customer, list[str]]] = {}

    def add(customers: list[Customer], kind: str) -> None:
        for customer in customers:
            found.setdefault(customer.id, (customer, []))[1].append(kind)

    if plan.phone is not None:
        add(
            list(await session.scalars(select(Customer).where(Customer.phone == plan.phone))),
            "phone",
        )
    if plan.email is not None:
        by_email = select(Customer).where(func.lower(Customer.email) == plan.email).limit(limit)
        add(list(await session.scalars(by_email)), "email")
    if plan.order_number is not None:
        by_order = (
            select(Customer)
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.number == plan.order_number)
        )
        add(list(await session.scalars(by_order)), "order")
    if plan.customer_id is not None:
        customer = await session.get(Customer, plan.customer_id)
        add([customer] if customer is not None else [], "id")
    if plan.name_prefix is not None and len(found) < limit:
        by_name = (
            select(Customer)
            .where(
                Customer.name_key >= plan.name_prefix,
                Customer.name_key < plan.name_prefix + "\U0010ffff",
            )
            .order_by(Customer.name_key, Customer.id)
            .limit(limit)
        )
        add(list(await session.scalars(by_name)), "name")
    hits = [_hit(customer, kinds) for customer, kinds in list(found.values())[:limit]]
    audit.record(
        session,
        principal,
        "customer.search",
        entity_kind="customer",
        kinds=list(plan.kinds),
        results=len(hits),
        customer_ids=[hit.id for hit in hits],
    )
    await session.commit()
    return hits


def _hit(customer: Customer, kinds: list[str]) -> CustomerHit:
    return CustomerHit(
        id=customer.id,
        full_name=customer.full_name,
        kind=customer.kind,
        registered_on=customer.registered_on,
        contacts_masked=masked_contacts(customer),
        matched_by=kinds,
        matched_by_title=", ".join(_MATCH_TITLES_RU[k] for k in kinds),
    )
