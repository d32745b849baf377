"""The right to be forgotten: a customer's personal data erased everywhere it is kept, and an
audited tombstone left. What is not personal (orders, balances, the conversations' course)
stays, so the figures and the back office's history still add up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.bank_account import mask_account
from marketdesk.domain.sync import mask_contacts
from marketdesk.store.models import (
    AuditEntry,
    ChannelContact,
    Conversation,
    Customer,
    CustomerComment,
    CustomerTombstone,
    LoginCode,
    Message,
    Notification,
    Session,
    Task,
    TaskComment,
    WithdrawalRequest,
    utcnow,
)

from .. import auth, webhooks
from ..chat.events import Publisher
from ..errors import CustomerNotFound

__all__ = ["FORGOTTEN_NAME", "ForgetResult", "forget_customer"]

FORGOTTEN_NAME = "Покупатель удалён"
"""The card's name of a forgotten customer."""


@dataclass(frozen=True, slots=True)
class ForgetResult:
    customer_id: int
    messages_masked: int
    comments_masked: int
    contacts_erased: int
    notifications_erased: int
    already: bool
    webhook_events_erased: int = 0


async def _mask_texts(session: AsyncSession, rows: list[tuple[int, str]], model: Any) -> int:
    changed = 0
    for row_id, text in rows:
        masked = mask_contacts(text)
        if masked != text:
            await session.execute(update(model).where(model.id == row_id).values(text=masked))
            changed += 1
    return changed


async def _transcripts(session: AsyncSession, customer_id: int) -> int:
    conversations = select(Conversation.id).where(Conversation.customer_id == customer_id)
    rows = await session.execute(
        select(Message.id, Message.text).where(Message.conversation_id.in_(conversations))
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.rating_comment.is_not(None))
        .values(rating_comment=None)
    )
    return await _mask_texts(session, [(i, t) for i, t in rows], Message)


async def _comments(session: AsyncSession, customer_id: int) -> int:
    rows = await session.execute(
        select(CustomerComment.id, CustomerComment.text).where(
            CustomerComment.customer_id == customer_id
        )
    )
    count = await _mask_texts(session, [(i, t) for i, t in rows], CustomerComment)
    tasks = select(Task.id).where(Task.customer_id == customer_id)
    rows = await session.execute(
        select(TaskComment.id, TaskComment.text).where(TaskComment.task_id.in_(tasks))
    )
    return count + await _mask_texts(session, [(i, t) for i, t in rows], TaskComment)


async def _contacts(session: AsyncSession, customer_id: int) -> int:
    ids = list(
        await session.scalars(
            select(ChannelContact.id).where(ChannelContact.customer_id == customer_id)
        )
    )
    for contact_id in ids:  # the address is unique per channel: each gets its own mark
        await session.execute(
            update(ChannelContact)
            .where(ChannelContact.id == contact_id)
            .values(address=f"удалено:{contact_id}", display_name=None, extra={})
        )
    return len(ids)


async def _notifications(session: AsyncSession, customer_id: int) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.customer_id == customer_id)
        .values(address="[удалено]", body=None, subject=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _withdrawals(session: AsyncSession, customer_id: int) -> None:
    """The withdrawals' recipient and account number are personal: the amount and the BIK
    stay, the account keeps its last four digits as every view shows them."""
    rows = await session.scalars(
        select(WithdrawalRequest).where(WithdrawalRequest.customer_id == customer_id)
    )
    for row in rows:
        row.recipient = FORGOTTEN_NAME
        row.account = mask_account(row.account)


async def forget_customer(
    session: AsyncSession,
    customer_id: int,
    *,
    actor: str,
    reason: str | None = None,
    publish: Publisher | None = None,
) -> ForgetResult:
    """Erase ``customer_id``'s personal data (card, transcripts' contact details, comments,
    channel contacts, the notifications log, withdrawals' bank details, login codes,
    sessions), leave a tombstone and an audit entry, commit. Forgetting a forgotten customer
    again erases what came since. The ended sessions are announced through ``publish``
    (every process forgets their principals and closes their sockets); without it (the
    command line) this process forgets them."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    now = utcnow()
    already = await session.get(CustomerTombstone, customer_id) is not None
    customer.full_name = FORGOTTEN_NAME  # the model keeps name_key
    customer.phone = None
    customer.email = None
    customer.birth_date = None
    customer.company_name = None
    result = ForgetResult(
        customer_id=customer_id,
        messages_masked=await _transcripts(session, customer_id),
        comments_masked=await _comments(session, customer_id),
        contacts_erased=await _contacts(session, customer_id),
        notifications_erased=await _notifications(session, customer_id),
        already=already,
        webhook_events_erased=await webhooks.forget_customer_events(session, customer_id),
    )
    await _withdrawals(session, customer_id)
    await session.execute(delete(LoginCode).where(LoginCode.customer_id == customer_id))
    ended = list(
        await session.scalars(
            update(Session)
            .where(Session.customer_id == customer_id, Session.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(Session.id)
            .execution_options(synchronize_session=False)
        )
    )
    erased = {
        "messages_masked": result.messages_masked,
        "comments_masked": result.comments_masked,
        "contacts_erased": result.contacts_erased,
        "notifications_erased": result.notifications_erased,
        "webhook_events_erased": result.webhook_events_erased,
    }
    if not already:
        session.add(
            CustomerTombstone(customer_id=customer_id, forgotten_at=now, actor=actor, erased=erased)
        )
    actor_kind, _, actor_id = actor.partition(":")
    session.add(
        AuditEntry(
            at=now,
            actor_kind=actor_kind,
            actor_id=actor_id or None,
            action="customer.forgotten",
            entity_kind="customer",
            entity_id=str(customer_id),
            details={**erased, "reason": reason} if reason else erased,
        )
    )
    await session.commit()
    if publish is not None:  # the customer's sessions ended above, in every process
        await auth.announce_sessions_ended(publish, ended)
    else:
        auth.forget_principals(ended)
    return result
