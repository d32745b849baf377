"""A customer's address in an outside channel, and who writes from it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.store.models import ChannelContact, Customer, Visitor, utcnow

from ..chat import adopt_visitor_conversations
from ..principals import Principal

__all__ = ["contact_for", "link_customer", "principal_of"]


async def contact_for(
    session: AsyncSession,
    channel: Channel,
    address: str,
    *,
    display_name: str | None = None,
    extra: dict[str, Any] | None = None,
) -> ChannelContact:
    """The contact of ``address`` in ``channel``, made on its first message (with a visitor
    of its own). An e-mail address that is a customer's is linked to that customer. Commits."""
    contact = await session.scalar(
        select(ChannelContact).where(
            ChannelContact.channel == channel.value, ChannelContact.address == address
        )
    )
    now = utcnow()
    if contact is not None:
        contact.last_seen_at = now
        if display_name and not contact.display_name:
            contact.display_name = display_name[:200]
        await session.commit()
        return contact
    visitor = Visitor(id=str(uuid.uuid4()), created_at=now)
    session.add(visitor)
    await session.flush()  # before the contact that points at it
    contact = ChannelContact(
        channel=channel.value,
        address=address,
        display_name=(display_name or "")[:200] or None,
        visitor_id=visitor.id,
        extra=dict(extra or {}),
        created_at=now,
        last_seen_at=now,
    )
    if channel == Channel.EMAIL:
        customer_id = await session.scalar(
            select(Customer.id).where(func.lower(Customer.email) == address.lower()).limit(1)
        )
        if customer_id is not None:
            contact.customer_id, contact.linked_by = int(customer_id), "email"
    session.add(contact)
    try:
        await session.commit()
    except IntegrityError:  # the same address arrived twice at once: the other one won
        await session.rollback()
        found = await session.scalar(
            select(ChannelContact).where(
                ChannelContact.channel == channel.value, ChannelContact.address == address
            )
        )
        assert found is not None
        return found
    return contact


def principal_of(contact: ChannelContact) -> Principal:
    """Who writes from the contact: its customer once linked, its visitor before."""
    if contact.customer_id is not None:
        return Principal("customer", int(contact.customer_id), contact.display_name or "")
    return Principal("visitor", contact.visitor_id, contact.display_name or "")


async def link_customer(
    session: AsyncSession, contact: ChannelContact, customer_id: int, *, linked_by: str
) -> list[int]:
    """The contact turned out to be a customer (a shared phone number): it writes as them
    from now on, and its conversations become theirs. Commits. → the conversations moved."""
    contact.customer_id = customer_id
    contact.linked_by = linked_by
    moved = await adopt_visitor_conversations(session, contact.visitor_id, customer_id)
    await session.commit()
    return moved
