"""Delivering what the bot, the operators and the system write into conversations of the
outside channels, after the commit: a worker claims due rows of ``channel_deliveries`` (each
written in its message's own transaction, :mod:`marketdesk.services.chat.outbound`), hands
each to its channel's adapter, and records the outcome.

**Claiming** is the notification outbox's (``services.notifications.delivery``): one
statement marks a batch as taken (``attempts + 1``, ``next_attempt_at`` = the end of the
claim) and commits before anything is sent; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
process's write lock on SQLite. A conversation's messages go out in order: a round takes a
conversation's earliest due message only, and a message waits while an earlier one of its
conversation is pending.

**After a kill** the claim runs out (``MARKETDESK_CHANNEL_CLAIM_SECONDS``) and the message
is sent again with the same idempotency key (VK's ``random_id``, the e-mail's
``Message-ID``); Telegram has none, so a message whose send the kill interrupted may show
twice there — the window is the sends in flight.

**Failures.** An adapter's exception is temporary: the next try waits with exponential
backoff and jitter; after ``MARKETDESK_CHANNEL_MAX_ATTEMPTS`` tries (or at once, for
:class:`DeliveryRefused`) the delivery is ``failed``: the console's «не доставлено», with a
retry (:func:`retry_delivery`). Every outcome is published to the staff's sockets
(``{"type": "delivery", …}``).
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from marketdesk.domain.channels import DELIVERY_STATUS_TITLES_RU, DeliveryStatus
from marketdesk.domain.notifications import backoff
from marketdesk.settings import Settings
from marketdesk.store.claims import claim_due
from marketdesk.store.models import (
    Attachment,
    ChannelContact,
    ChannelDelivery,
    ChannelInbound,
    Conversation,
    Message,
    utcnow,
)
from marketdesk.store.transactions import on_commit, serialized

from .. import chat, chat_access
from ..attachments import attachment_path
from ..errors import ConversationNotFound, DeliveryNotFailed, DeliveryNotFound
from ..principals import Principal
from .ports import ChannelMessage, ChannelSender, DeliveryRefused, NotForChannel, OutboundFile

__all__ = [
    "DeliveryPolicy",
    "DeliveryView",
    "deliver_due",
    "delivery_event",
    "list_deliveries",
    "retry_delivery",
]

log = logging.getLogger("marketdesk.channels")

_PENDING = DeliveryStatus.PENDING.value


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """``MARKETDESK_CHANNEL_*`` (none of it is in the seeds)."""

    max_attempts: int = 10
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    claim: timedelta = timedelta(seconds=60)
    batch: int = 50
    data_dir: Path = Path("data")

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> DeliveryPolicy:
        if settings is None:
            return _from_environment()
        return cls(
            max_attempts=settings.channel_max_attempts,
            backoff_base=settings.channel_backoff_seconds,
            backoff_cap=settings.channel_backoff_max_seconds,
            claim=timedelta(seconds=settings.channel_claim_seconds),
            data_dir=settings.data_dir,
        )


@functools.cache
def _from_environment() -> DeliveryPolicy:
    return DeliveryPolicy.from_settings(Settings())


class DeliveryView(BaseModel):
    """Where a message into an outside channel stands (the console's mark on it)."""

    id: int
    message_id: int
    conversation_id: int
    channel: str
    status: str
    status_title: str
    attempts: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    next_attempt_at: datetime | None


def _view(row: ChannelDelivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        message_id=row.message_id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        status=row.status,
        status_title=DELIVERY_STATUS_TITLES_RU[DeliveryStatus(row.status)],
        attempts=row.attempts,
        error=row.error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        failed_at=row.failed_at,
        next_attempt_at=row.next_attempt_at if row.status == _PENDING else None,
    )


def delivery_event(view: DeliveryView) -> dict[str, Any]:
    """The live event of a delivery's new state (to the staff's sockets only)."""
    return {
        "type": "delivery",
        "conversation_id": view.conversation_id,
        "delivery": view.model_dump(mode="json"),
    }


def _due(now: datetime) -> Any:
    return and_(
        ChannelDelivery.status == _PENDING,
        or_(ChannelDelivery.next_attempt_at.is_(None), ChannelDelivery.next_attempt_at <= now),
    )


@serialized
async def _claim(
    session: AsyncSession, now: datetime, policy: DeliveryPolicy, channels: list[str]
) -> list[ChannelDelivery]:
    earlier = aliased(ChannelDelivery)
    first_of_its_conversation = ~(
        select(earlier.id)
        .where(
            earlier.conversation_id == ChannelDelivery.conversation_id,
            earlier.status == _PENDING,
            earlier.id < ChannelDelivery.id,
        )
        .exists()
    )
    claimed = await claim_due(
        session,
        ChannelDelivery,
        conditions=[_due(now), ChannelDelivery.channel.in_(channels), first_of_its_conversation],
        due=_due(now),
        batch=policy.batch,
        lease_until=now + policy.claim,
        returning=[ChannelDelivery],
    )
    rows = [] if claimed is None else list(claimed.scalars())
    await session.commit()
    return sorted(rows, key=lambda row: row.id)


async def _message_for(
    session: AsyncSession, row: ChannelDelivery, policy: DeliveryPolicy
) -> ChannelMessage | None:
    """What the adapter needs of a claimed delivery (None: its contact is gone)."""
    message = await session.get(Message, row.message_id)
    conversation = await session.get(Conversation, row.conversation_id)
    if message is None or conversation is None or conversation.channel_contact_id is None:
        return None
    contact = await session.get(ChannelContact, conversation.channel_contact_id)
    if contact is None:
        return None
    files = list(
        await session.scalars(
            select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id)
        )
    )
    inbound = await session.execute(
        select(ChannelInbound.received_at, ChannelInbound.external_id).where(
            ChannelInbound.conversation_id == conversation.id
        )
    )
    sent = await session.execute(
        select(ChannelDelivery.sent_at, ChannelDelivery.external_id).where(
            ChannelDelivery.conversation_id == conversation.id,
            ChannelDelivery.external_id.is_not(None),
            ChannelDelivery.id != row.id,
        )
    )
    times: list[tuple[datetime, str]] = [
        (when, external)
        for when, external in [*inbound.all(), *sent.all()]
        if when is not None and external is not None
    ]
    thread = tuple(external for _, external in sorted(times, key=lambda pair: pair[0]))
    return ChannelMessage(
        delivery_id=row.id,
        message_id=message.id,
        conversation_id=conversation.id,
        channel=row.channel,
        address=contact.address,
        sender_kind=message.sender_kind,
        sender_name=(message.extra or {}).get("sender_name"),
        text=message.text,
        line=conversation.line,
        ticket=conversation.ticket_number or str(conversation.id),
        idempotency_key=f"marketdesk-delivery-{row.id}",
        attachments=tuple(
            OutboundFile(
                f.filename, f.content_type, f.size, attachment_path(policy.data_dir, f.sha256)
            )
            for f in files
        ),
        thread=thread,
        contact={
            **(contact.extra or {}),
            "display_name": contact.display_name,
            "subject": (conversation.extra or {}).get("subject"),
        },
    )


async def deliver_due(
    session: AsyncSession,
    senders: Mapping[str, ChannelSender],
    *,
    publish: chat.Publisher = chat.no_publisher,
    policy: DeliveryPolicy | None = None,
    now: datetime | None = None,
) -> int:
    """One round: claim what is due (of the channels ``senders`` serves), send it, record
    each outcome and publish it; → the number of deliveries that ended (sent, failed,
    skipped)."""
    policy = policy or DeliveryPolicy.from_settings()
    rows = await _claim(session, now or utcnow(), policy, sorted(senders))
    ended = 0
    for row in rows:
        message = await _message_for(session, row, policy)
        error: BaseException | None = None
        external: str | None = None
        if message is None:
            error = DeliveryRefused("адрес клиента в канале неизвестен")
        else:
            try:
                external = await senders[row.channel].deliver(message)
            except Exception as exc:
                log.warning(
                    "delivery %s (%s) not sent, try %d: %s",
                    row.id,
                    row.channel,
                    row.attempts,
                    type(exc).__name__,
                )
                error = exc
        values = _outcome(row, error, external, utcnow(), policy)
        view = await _record(session, row.id, values)
        if view is not None:
            if view.status != _PENDING:
                ended += 1
            await _publish(session, publish, view)
    return ended


def _outcome(
    row: ChannelDelivery,
    error: BaseException | None,
    external: str | None,
    now: datetime,
    policy: DeliveryPolicy,
) -> dict[str, Any]:
    if error is None:
        return {
            "status": DeliveryStatus.SENT.value,
            "sent_at": now,
            "next_attempt_at": None,
            "error": None,
            "external_id": external,
        }
    if isinstance(error, NotForChannel):
        return {"status": DeliveryStatus.SKIPPED.value, "next_attempt_at": None, "error": None}
    reason = (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)[:500]
    if isinstance(error, DeliveryRefused) or row.attempts >= policy.max_attempts:
        return {
            "status": DeliveryStatus.FAILED.value,
            "failed_at": now,
            "next_attempt_at": None,
            "error": reason,
        }
    pause = backoff(
        row.attempts,
        base=policy.backoff_base,
        cap=policy.backoff_cap,
        jitter=random.random(),  # noqa: S311 (spreading retries, not a secret)
    )
    return {"next_attempt_at": now + pause, "error": reason}


@serialized
async def _record(
    session: AsyncSession, delivery_id: int, values: dict[str, Any]
) -> DeliveryView | None:
    row = (
        await session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == delivery_id, ChannelDelivery.status == _PENDING)
            .values(**values)
            .returning(ChannelDelivery)
            # the claimed row is in the session already: its new state, not the old one
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    ).scalar_one_or_none()
    view = _view(row) if row is not None else None
    await session.commit()
    return view


async def _publish(session: AsyncSession, publish: chat.Publisher, view: DeliveryView) -> None:
    """To the operator who holds the conversation, or to its line's operators (never to the
    customer's sockets)."""
    row = (
        await session.execute(
            select(Conversation.assigned_operator_id, Conversation.line).where(
                Conversation.id == view.conversation_id
            )
        )
    ).one_or_none()
    await session.commit()
    if row is None:
        return
    operator_id, line = row
    channel = f"operator:{operator_id}" if operator_id is not None else f"line:{line}"
    await publish([channel], delivery_event(view))


async def list_deliveries(
    session: AsyncSession, principal: Principal, conversation_id: int
) -> list[DeliveryView]:
    """The deliveries of a conversation's messages (staff who may read it)."""
    principal.require_operator()
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or not await chat_access.may_read(session, principal, conversation):
        raise ConversationNotFound(conversation_id=conversation_id)
    rows = await session.scalars(
        select(ChannelDelivery)
        .where(ChannelDelivery.conversation_id == conversation_id)
        .order_by(ChannelDelivery.id)
    )
    return [_view(row) for row in rows]


@serialized
async def retry_delivery(
    session: AsyncSession,
    principal: Principal,
    delivery_id: int,
    *,
    publish: chat.Publisher = chat.no_publisher,
) -> DeliveryView:
    """«Повторить»: a failed delivery is due again, with a fresh count of tries."""
    principal.require_operator()
    row = await session.get(ChannelDelivery, delivery_id, with_for_update=True)
    conversation = await session.get(Conversation, row.conversation_id) if row is not None else None
    if (
        row is None
        or conversation is None
        or not await chat_access.may_read(session, principal, conversation)
    ):
        raise DeliveryNotFound(delivery_id=delivery_id)
    if row.status != DeliveryStatus.FAILED.value:
        raise DeliveryNotFailed()
    row.status, row.attempts, row.next_attempt_at = _PENDING, 0, None
    row.error, row.failed_at = None, None
    view = _view(row)
    on_commit(session, lambda: publish([f"operator:{principal.id}"], delivery_event(view)))
    await session.commit()
    return view
