"""An operator's reply while the customer is away from the web chat: e-mail or push after a
delay (``MARKETDESK_NOTIFY_OFFLINE_DELAY_SECONDS``), once per conversation until the
customer comes back.

**Presence.** The widget's chat socket marks its customer seen (``customer_presence``) when
it opens, every :func:`presence_interval` while it stays open, and when it closes
(:func:`customer_seen`). So a reply the customer had in front of them is followed, within
the interval, by a mark later than the reply; a reply after the last mark is one they have
not seen. A server that dies with the socket open leaves the last mark: the reply is told.

**The sweep.** :func:`raise_offline_replies` (the notification worker runs it every few
seconds) finds the web conversations of a customer with an operator's public reply older
than the delay and later than the customer's last mark, and raises ``operator_reply``
through :func:`~.outbox.notify` with the idempotency key ``offline-reply:<conversation>:
<last mark>``: the second reply of the same absence finds the first's notification and
raises nothing; a return (a new mark) makes a new key, so the next reply is told again. Any
number of workers may sweep at once: the key is unique, a duplicate's transaction fails and
adds nothing. Replies older than the delay plus :data:`LOOKBACK` are left (a worker that was
down that long does not flood the customer)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.domain.notifications import NotificationChannel
from marketdesk.store.models import Conversation, CustomerPresence, Message, Notification, utcnow
from marketdesk.store.transactions import serialized

from .outbox import notify
from .policy import NotifyPolicy

__all__ = ["LOOKBACK", "customer_seen", "presence_interval", "raise_offline_replies"]

log = logging.getLogger("marketdesk.notifications")

LOOKBACK = timedelta(hours=1)
EVENT = "operator_reply"
_CHANNELS = tuple(c.value for c in NotificationChannel)


def presence_interval(delay_seconds: float) -> float:
    """Seconds between two marks of an open socket: well inside the delay."""
    return max(delay_seconds / 3, 1.0)


@serialized
async def customer_seen(
    session: AsyncSession, customer_id: int, *, now: datetime | None = None
) -> None:
    """Mark the customer seen in the chat now. Commits."""
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(CustomerPresence).values(customer_id=customer_id, seen_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["customer_id"], set_={"seen_at": statement.excluded.seen_at}
    )
    await session.execute(statement)
    await session.commit()


def _key(conversation_id: int, seen_at: datetime | None) -> str:
    mark = "never" if seen_at is None else str(int(seen_at.timestamp() * 1_000_000))
    return f"offline-reply:{conversation_id}:{mark}"


@serialized
async def _raise_one(
    session: AsyncSession,
    conversation: tuple[int, int, str | None, datetime | None],
    policy: NotifyPolicy,
    now: datetime,
) -> int:
    conversation_id, customer_id, ticket, seen_at = conversation
    try:
        rows = await notify(
            session,
            event=EVENT,
            data={
                "ticket": ticket or f"№{conversation_id}",
                "url": policy.public_url + "/",
            },
            idempotency_key=_key(conversation_id, seen_at),
            customer_id=customer_id,
            now=now,
            policy=policy,
        )
        fresh = [row for row in rows if row.id is None]
        await session.commit()
    except IntegrityError:  # another worker raised it first
        await session.rollback()
        return 0
    return len(fresh)


async def raise_offline_replies(
    session: AsyncSession, *, policy: NotifyPolicy | None = None, now: datetime | None = None
) -> int:
    """Raise the notifications of replies the customers have not seen (see the module's
    docstring); the number of notifications written."""
    policy = policy or NotifyPolicy.from_settings()
    now = now or utcnow()
    newest = now - policy.offline_delay
    seen = CustomerPresence.seen_at
    found = await session.execute(
        select(Conversation.id, Conversation.customer_id, Conversation.ticket_number, seen)
        .join(Message, Message.conversation_id == Conversation.id)
        .outerjoin(CustomerPresence, CustomerPresence.customer_id == Conversation.customer_id)
        .where(
            Message.created_at > newest - LOOKBACK,
            Message.created_at <= newest,
            Message.sender_kind == "operator",
            Message.private.is_(False),
            Conversation.channel == Channel.WEB.value,
            Conversation.customer_id.is_not(None),
            or_(seen.is_(None), and_(seen.is_not(None), Message.created_at > seen)),
        )
        .group_by(Conversation.id, Conversation.customer_id, Conversation.ticket_number, seen)
        .order_by(func.min(Message.created_at))
    )
    candidates = [(int(a), int(b or 0), c, d) for a, b, c, d in found.all()]
    keys = {f"{_key(c[0], c[3])}:{channel}": c for c in candidates for channel in _CHANNELS}
    done = set()
    for part in range(0, len(keys), 500):
        chunk = list(keys)[part : part + 500]
        done |= {
            keys[key][0]
            for key in await session.scalars(
                select(Notification.idempotency_key).where(Notification.idempotency_key.in_(chunk))
            )
        }
    candidates = [c for c in candidates if c[0] not in done]
    await session.commit()  # the read ends: each notification is a transaction of its own
    written = 0
    for candidate in candidates:
        written += await _raise_one(session, candidate, policy, now)
    return written
