"""Raising an event: :func:`emit` writes one delivery row per subscription that wants it, in
the caller's transaction, so the event goes out if and only if what it tells of was
committed (a transactional outbox, like the notifications' and the channels'); the worker
sends the rows after the commit (``delivery.py``).

Who raises what (each a call next to the write it tells of):

* ``conversation.created`` — ``chat.start_conversation``, ``chat.open_with_system_message``;
* ``conversation.resolved`` — ``chat.resolve``;
* ``message.created`` — the three places that insert messages (``sending.store_one``,
  ``transcript.append``, the group commit's ``batch._write_batch`` through :func:`emit_sync`),
  beside the channels' outbox row of the same message (``chat/outbound.py``);
* ``task.created`` / ``task.changed`` — ``services.tasks`` (create; status, assignment,
  escalation);
* ``rating.created`` — ``chat.rate``;
* ``certificate.activated`` — ``services.certificates.activate_certificate``;
* ``withdrawal.created`` — ``services.balance.withdraw``;
* ``return.created`` — ``services.returns.request_return``.

Nothing is written while no active subscription wants the type. The active subscriptions
are kept per process for a second (:func:`configure`,
``MARKETDESK_WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS``): an event nobody listens to costs no
query at all, and a change of the subscriptions is seen at once by the process that made it
(:func:`forget_subscriptions` after its commit) and within that second by the others."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.webhooks import DeliveryStatus, WebhookEvent
from marketdesk.store.db import read_all
from marketdesk.store.kept import KeptPerDatabase
from marketdesk.store.models import WebhookDelivery, WebhookSubscription, utcnow
from marketdesk.store.quick_reads import QuickQuery
from marketdesk.store.transactions import on_commit, statement_alone, transaction_state

__all__ = [
    "Data",
    "active_subscriptions",
    "alone_where_unwanted",
    "body_of",
    "configure",
    "emit",
    "emit_sync",
    "forget_subscriptions",
    "on_emitted",
    "unwanted",
    "wake_after_commit",
]

Data = Mapping[str, Any] | Callable[[], Mapping[str, Any]]
"""What the event tells (its ``data``), or a function that makes it: called only when a
subscription wants the event (the chat's hot path builds nothing for nobody)."""

_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
_INSERT = insert(_DELIVERIES)
_ACTIVE = select(WebhookSubscription.id, WebhookSubscription.events).where(
    WebhookSubscription.active.is_(True)
)
_QUICK_ACTIVE = QuickQuery(_ACTIVE)
_WAKING = "marketdesk.webhooks.waking"
_listeners: list[Callable[[], None]] = []

Subscriptions = list[tuple[int, list[str]]]
"""The active subscriptions: (id, the event types it wants)."""

_active: KeptPerDatabase[Subscriptions] = KeptPerDatabase(1.0)


def configure(*, cache_seconds: float) -> None:
    """How long a process keeps the active subscriptions it read (0: read them for every
    transaction that raises an event)."""
    _active.keep_for(cache_seconds)


async def forget_subscriptions() -> None:
    """The subscriptions changed (after the commit of the change): read them again."""
    _active.forget()


def _subscriptions(rows: Any) -> Subscriptions:
    return [(int(sid), list(events or ())) for sid, events in rows]


async def active_subscriptions(session: AsyncSession) -> Subscriptions:
    """The active subscriptions (kept for a second per process, see :func:`configure`)."""

    async def read() -> Subscriptions:
        return _subscriptions(await session.execute(_ACTIVE))

    return await _active.get_or_read(session.get_bind(), read)


async def unwanted(session: AsyncSession, *events: WebhookEvent) -> bool:
    """Whether no active subscription wants any of ``events``: the subscriptions this
    process keeps, read when it keeps none (or once in their keep's last share, see
    ``store.kept``) without beginning a transaction (``store.db.read_all``: on PostgreSQL
    the session's connection before its ``BEGIN``). A write that is one statement without
    the events' deliveries may then go alone (``store.transactions.statement_alone``):
    call this first. Until 2026-12-07 this only looked, and the writes that go alone never
    read them: once a second each process's writes took the longer way until one of them
    had read the subscriptions again."""

    async def read() -> Subscriptions:
        return _subscriptions(await read_all(session, _QUICK_ACTIVE, {}))

    kept = await _active.get_or_read(session.get_bind(), read)
    wanted = {event.value for event in events}
    return not any(wanted.intersection(types or ()) for _, types in kept)


async def alone_where_unwanted(session: AsyncSession, *events: WebhookEvent) -> bool:
    """On PostgreSQL, where no subscription wants ``events`` (:func:`unwanted`, asked
    first: its read comes before the autocommit), the session's connection taken for one
    statement alone (``store.transactions.statement_alone``) → whether it was; False on
    SQLite (one writer: a transaction as ever) without asking."""
    return (
        session.get_bind().dialect.name == "postgresql"
        and await unwanted(session, *events)
        and await statement_alone(session)
    )


def on_emitted(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` (a worker's ``wake``) after a transaction of this process that raised
    an event for some subscription commits; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


async def _wake() -> None:
    for listener in list(_listeners):
        listener()


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def body_of(event: WebhookEvent, data: Mapping[str, Any], now: datetime) -> str:
    """The delivery's body, exactly as it is sent and signed: ``{"type", "timestamp",
    "data"}`` (Standard Webhooks' shape), compact JSON in UTF-8."""
    return json.dumps(
        {"type": event.value, "timestamp": now.isoformat(), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        default=_default,
    )


def _customer(data: Mapping[str, Any]) -> int | None:
    value = data.get("customer_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rows(
    subscriptions: Sequence[tuple[int, list[str]]],
    event: WebhookEvent,
    data: Sequence[Data],
    now: datetime,
) -> list[dict[str, Any]]:
    wanted = [sid for sid, events in subscriptions if event.value in (events or ())]
    if not wanted:
        return []
    made = [item() if callable(item) else item for item in data]
    bodies = [(body_of(event, one, now), _customer(one)) for one in made]
    return [
        {
            "subscription_id": sid,
            "message_id": f"msg_{uuid.uuid4().hex}",
            "event": event.value,
            "customer_id": customer_id,
            "body": body,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": None,
            "created_at": now,
        }
        for body, customer_id in bodies  # the events in order; each to every subscription
        for sid in wanted
    ]


async def emit(
    session: AsyncSession, event: WebhookEvent, data: Data, *, now: datetime | None = None
) -> int:
    """In the transaction of the write ``event`` tells of: its deliveries (not committed
    here); → how many subscriptions get it."""
    subscriptions = await active_subscriptions(session)
    if not subscriptions:
        return 0
    rows = _rows(subscriptions, event, [data], now or utcnow())
    if rows:
        await session.execute(_INSERT, rows)
        state = transaction_state(session)
        if _listeners and not state.get(_WAKING):
            state[_WAKING] = True  # once per transaction
            on_commit(session, _wake)
    return len(rows)


def emit_sync(
    connection: Connection, event: WebhookEvent, data: Sequence[Data], now: datetime
) -> int:
    """The group commit's form of :func:`emit` (a bare connection, its transaction open):
    several events of one type, in order. The caller wakes the worker after its commit
    (:func:`wake_after_commit`)."""
    if not data:
        return 0
    subscriptions = _active.get_or_read_sync(
        connection, lambda: _subscriptions(connection.execute(_ACTIVE))
    )
    rows = _rows(subscriptions, event, data, now)
    if rows:
        connection.execute(_INSERT, rows)
    return len(rows)


async def wake_after_commit() -> None:
    """Wake this process's worker (after a commit that :func:`emit_sync` wrote into)."""
    await _wake()
