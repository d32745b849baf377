"""What support does for a customer only after a passed identity check in the conversation
(issue 14, item 5): tell them their contacts, change the phone they log in with (which ends
every session of theirs: whoever holds the old phone is logged out), take a withdrawal
request. Each calls :func:`services.identity.require_identity` first; a refusal
is 403 ``identity_check_required`` and changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.identity import IdentityAction
from marketdesk.domain.privacy import mask_phone
from marketdesk.store.models import Customer, LoginCode, utcnow
from marketdesk.store.transactions import serialized

from . import audit, balance, identity, security
from .balance import BankDetails, WithdrawalResult
from .chat.events import Publisher, no_publisher
from .customer_login import normalize_phone
from .customers import Contacts
from .errors import CustomerNotFound, LoginPhoneTaken
from .principals import Principal

__all__ = ["LoginPhoneChanged", "change_login_phone", "reveal_contacts", "support_withdrawal"]


class LoginPhoneChanged(Contacts):
    """The customer's contacts after the change, and how many of their sessions ended."""

    sessions_ended: int


async def _customer(session: AsyncSession, customer_id: int | None) -> Customer:
    customer = await session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    return customer


async def reveal_contacts(
    session: AsyncSession, principal: Principal, conversation_id: int
) -> Contacts:
    """The customer's own phone and e-mail, to tell them in the conversation."""
    conversation = await identity.require_identity(
        session, principal, conversation_id, IdentityAction.REVEAL_CONTACTS
    )
    customer = await _customer(session, conversation.customer_id)
    audit.record(
        session,
        principal,
        "customer.contacts_revealed",
        entity_kind="customer",
        entity_id=customer.id,
        conversation_id=conversation_id,
        identity_checked=True,
    )
    await session.commit()
    return Contacts(phone=customer.phone, email=customer.email)


@serialized
async def change_login_phone(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    phone: str,
    *,
    publish: Publisher = no_publisher,
) -> LoginPhoneChanged:
    """The customer logs in with ``phone`` from now on; the codes sent to the old one are
    void, and every session of the customer ends (their sockets close once it is
    committed): a phone changed because the old one was lost must not leave it logged in.
    The audit keeps both numbers masked."""
    new_phone = normalize_phone(phone)
    conversation = await identity.require_identity(
        session, principal, conversation_id, IdentityAction.CHANGE_LOGIN_PHONE
    )
    customer = await _customer(session, conversation.customer_id)
    taken = await session.scalar(
        select(Customer.id).where(Customer.phone == new_phone, Customer.id != customer.id)
    )
    if taken is not None:
        raise LoginPhoneTaken()
    old_phone = customer.phone
    if old_phone:
        await session.execute(
            update(LoginCode)
            .where(LoginCode.phone == old_phone, LoginCode.used_at.is_(None))
            .values(voided_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    customer.phone = new_phone
    ended = await security.end_customer_sessions(session, customer.id, publish, utcnow())
    audit.record(
        session,
        principal,
        "customer.login_phone_changed",
        entity_kind="customer",
        entity_id=customer.id,
        conversation_id=conversation_id,
        old=mask_phone(old_phone) if old_phone else None,
        new=mask_phone(new_phone),
        sessions_ended=len(ended),
    )
    await session.commit()
    return LoginPhoneChanged(phone=customer.phone, email=customer.email, sessions_ended=len(ended))


async def support_withdrawal(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    amount: Decimal | str | int,
    details: BankDetails,
) -> WithdrawalResult:
    """A withdrawal the customer asks support for: the same rules as in the account."""
    conversation = await identity.require_identity(
        session, principal, conversation_id, IdentityAction.SUPPORT_WITHDRAWAL
    )
    customer = await _customer(session, conversation.customer_id)
    return await balance.withdraw_for(session, principal, customer.id, amount, details)
