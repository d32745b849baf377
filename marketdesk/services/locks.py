"""Serialising writes that must see each other: one customer's money and certificates."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import Customer

from .errors import CustomerNotFound

__all__ = ["LOCK_CUSTOMER", "lock_customer"]

LOCK_CUSTOMER = (
    update(Customer)
    .where(Customer.id == bindparam("customer_id", type_=Customer.id.type))
    .values(id=Customer.id)
    .execution_options(synchronize_session=False)  # it changes nothing
)
"""The customer's row lock (a no-op UPDATE), built once; ``{"customer_id": …}``."""


async def lock_customer(session: AsyncSession, customer_id: int) -> None:
    """Take the customer's row lock for the rest of the transaction.

    A no-op UPDATE: on PostgreSQL it locks the row (concurrent writers for the same customer
    wait); on SQLite it takes the database write lock before anything is read, so a second
    transaction waits instead of failing on a stale snapshot.
    """
    result = await session.execute(LOCK_CUSTOMER, {"customer_id": customer_id})
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise CustomerNotFound(customer_id=customer_id)
