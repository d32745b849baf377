"""Group commit's transaction: many plain messages stored with one commit.

A batch stores only plain messages (they change nothing but the transcript). Whatever moves
a conversation (the bot's answer, a reopening), is refused, or retries a stored message is
left to :func:`.sending.store_one`, in order, by the writer (:mod:`.writer`). An operator's
reply passes the privacy guard inside the batch's transaction
(docs/decisions/0001-group-commit.md, 0002-guard-inside-the-transaction.md)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError

from marketdesk.domain.channels import needs_delivery
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store.db import Database
from marketdesk.store.models import utcnow
from marketdesk.store.transactions import sqlite_write_lock

from .. import webhooks
from ..webhooks.payloads import message_data
from . import follow_up, outbound, sla
from .checks import may_read_now, send_refusal
from .context import GuardObjected
from .events import Changes, Publisher, publish_all
from .known_states import KnownStates
from .sending import SendRequest, sent_extra
from .transcript import CONVERSATIONS, MESSAGES, insert_messages, stored_view
from .views import ConversationView, MessageView, SendResult, conversation_view

__all__ = ["one_by_one_first", "store_batch"]


def _batch_role(request: SendRequest, row: Any) -> str:
    """How a send takes part in a batch: ``plain`` (it changes nothing but the transcript),
    ``refused`` (it stores nothing: unknown conversation, not the sender's, closed, not
    assigned — or a retry, which the one-by-one path answers), ``moves`` (the conversation
    moves on: the bot answers, a resolved conversation reopens)."""
    principal = request.principal
    if row is None or not may_read_now(principal, row):
        return "refused"
    if send_refusal(principal, row, request.message.private) is not None:
        return "refused"
    if row.line == Line.SELLER_CHAT:  # its own guard and the seller's access: one by one
        return "refused"
    return "moves" if _moves(request, row.status) else "plain"


def _moves(request: SendRequest, status: str) -> bool:
    """A customer's send that moves the conversation on: the bot answers while it has the
    conversation, a resolved conversation reopens."""
    return not request.principal.is_operator and (
        status == S.RESOLVED or (status == S.BOT and request.ctx.bot is not None)
    )


_STATUSES_SQLITE = f"SELECT id, status, line FROM {CONVERSATIONS.name} WHERE id IN ({{}})"  # noqa: S608


async def one_by_one_first(
    database: Database, requests: Sequence[SendRequest], known: KnownStates | None = None
) -> dict[int, str | None]:
    """The conversations whose sends in ``requests`` are for :func:`.sending.store_one`
    whatever the batch would find, as read before the batch and without its lock: a
    customer's message that the bot answers or that reopens a resolved conversation, the
    seller chat, an unknown conversation. Each with its line where the bot has it (so that
    the bot's reading of the message can be worked out before the lock, as a first
    message's is), else None. Only customers' sends are looked at (an operator's never
    moves a conversation), and only a read's worth: a conversation that moves between this
    read and the batch's lock is still caught under the lock, and one that stopped moving is
    stored by ``store_one`` all the same (a reading of the wrong text or line is not used:
    ``Dialog.turn`` reads again).

    Without the read the batch would lock their rows, find them so and roll back. On SQLite
    the read is a plain driver's read (``Database.quick_reads``, a few µs; the batch's attempt
    took the write lock and cost about a fifth of a bot's turn). On PostgreSQL the states are
    taken from ``known`` (the writer's memory, :class:`.known_states.KnownStates`); those it
    lacks are read in one round trip outside a transaction and kept there, with the rows of
    those the bot has (its turn then reads nothing: ``follow_up.answer_unlocked``; the batch's
    attempt was four round trips: a seventh of a bot's answer's CPU). Without ``known``
    nothing is read on PostgreSQL (an empty dict)."""
    customers = {r.message.conversation_id for r in requests if not r.principal.is_operator}
    if not customers:
        return {}
    quick = database.quick_reads()
    found: dict[int, tuple[str, str]]
    if quick is not None:
        ids = sorted(customers)
        marks = ", ".join("?" * len(ids))
        rows = quick.execute(_STATUSES_SQLITE.format(marks), ids).fetchall()
        found = {int(cid): (str(status), str(line)) for cid, status, line in rows}
    elif known is None or database.is_sqlite:
        return {}
    else:
        unknown = sorted(cid for cid in customers if cid not in known)
        if unknown:
            for row in await _read_states(database, unknown):
                follow_up.remember(known, row._mapping)
        found = {cid: state for cid in customers if (state := known.get(cid)) is not None}
    alone: dict[int, str | None] = {}
    for request in requests:
        cid = request.message.conversation_id
        if cid not in customers or cid in alone:
            continue
        state = found.get(cid)
        if state is None or state[1] == Line.SELLER_CHAT or _moves(request, state[0]):
            alone[cid] = state[1] if state is not None and state[0] == S.BOT else None
    return alone


async def _read_states(database: Database, ids: list[int]) -> list[Any]:
    """The conversations ``ids`` on PostgreSQL, each row with its version
    (``follow_up.VERSIONED_ROWS``): one statement in autocommit, so one round trip (no
    ``BEGIN`` and ``ROLLBACK`` around it)."""
    async with database.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return list(await connection.execute(follow_up.VERSIONED_ROWS, {"ids": ids}))


async def store_batch(
    database: Database, requests: Sequence[SendRequest]
) -> list[SendResult | GuardObjected | None]:
    """Store the plain sends of ``requests`` in one transaction with one commit (under the
    process's SQLite write lock), then publish them. The answer is aligned with
    ``requests``: a result for each stored message, :class:`GuardObjected` for a send whose
    guard objected (nothing stored), None for a request the caller must send through
    :func:`.sending.store_one`, in order, after this returns (anything else: a bot answer, a
    reopening, a refusal, an unknown conversation, a retry of a stored message). From the
    first request that moves a conversation on, that conversation's later requests are left
    to the caller as well, so each conversation's messages keep the order they came in.

    The whole transaction is one synchronous function (on SQLite one hand-off to the writer
    thread, not one per statement): the rows are locked first (``SELECT … FOR UPDATE`` in id
    order on PostgreSQL; on SQLite an ``UPDATE … RETURNING`` takes the write lock), the
    messages go in with one multi-row ``INSERT … RETURNING``, each conversation's
    ``last_seq`` with one ``executemany``. Retries of stored messages are found first (one
    indexed read) and left to the caller; a unique-constraint violation all the same (a
    retry racing in from another process) rolls back the batch and leaves every request to
    the caller."""
    now = utcnow()
    lock = sqlite_write_lock(database.engine)
    async with lock if lock is not None else contextlib.nullcontext():
        stored, objected, clocks, emitted = await database.run_sync(
            lambda connection: _write_batch(connection, requests, now)
        )
    if emitted:  # events for the webhooks' outbox: its worker need not wait for its tick
        await webhooks.wake_after_commit()
    # live events after the commit and outside the write lock (Redis may take its time)
    results: list[SendResult | GuardObjected | None] = [None] * len(requests)
    for index in objected:
        results[index] = GuardObjected()
    last_of = {requests[index].message.conversation_id: index for index, *_ in stored}
    # the batch's events by publisher (one, but for tests), each publisher's at once
    events: dict[int, tuple[Publisher, list[tuple[list[str], dict[str, Any]]]]] = {}
    for index, row, view, last_seq in stored:
        request = requests[index]
        cid = request.message.conversation_id
        changed = {**clocks.get(cid, {}), "last_seq": last_seq}
        changes = Changes(request.ctx.publish)
        if cid in clocks and last_of[cid] == index:  # the clocks' change once, with the last
            changes.message(view, row, sla.merged(row, changed))
        else:
            changes.message(view, row)
        publish = request.ctx.publish
        events.setdefault(id(publish), (publish, []))[1].extend(changes.events())
        # the conversation's view only if the caller reads it (the sockets do not)
        results[index] = SendResult(message=view, view_of=partial(_view_after, row, changed))
    for publish, published in events.values():
        await publish_all(publish, published)
    return results


def _view_after(row: Any, changed: dict[str, Any]) -> ConversationView:
    return conversation_view(sla.merged(row, changed))


# the batch's statements, built once: building one per batch costs CPU and leaves cyclic
# garbage behind (expressions and their comparators) for the collector to pause on
_BATCH_IDS: Any = bindparam("ids", expanding=True)
_LOCK_SQLITE = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id.in_(_BATCH_IDS))
    .values(updated_at=bindparam("now"))
    .returning(*CONVERSATIONS.c)
)
_LOCK_POSTGRES = (
    select(CONVERSATIONS)
    .where(CONVERSATIONS.c.id.in_(_BATCH_IDS))
    .order_by(CONVERSATIONS.c.id)
    .with_for_update()
)
# the batch's (conversation, client_msg_id) pairs already stored (retries), one search of
# the unique index per pair: SQLite plans a row-value IN list as a scan of the whole index,
# so there the pairs come in as JSON and are joined
_STORED_BEFORE_POSTGRES = select(MESSAGES.c.conversation_id, MESSAGES.c.client_msg_id).where(
    tuple_(MESSAGES.c.conversation_id, MESSAGES.c.client_msg_id).in_(
        bindparam("pairs", expanding=True)
    )
)
_STORED_BEFORE_SQLITE = text(
    f"SELECT m.conversation_id, m.client_msg_id FROM json_each(:pairs) AS p "  # noqa: S608
    f"JOIN {MESSAGES.name} AS m ON m.conversation_id = json_extract(p.value, '$[0]') "
    f"AND m.client_msg_id = json_extract(p.value, '$[1]')"
)
# each conversation's new last_seq, with the service-level clocks a message of the batch
# started or stopped (one statement for both: the clocks cost no round trip of their own)
_SET_LAST_SEQ = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("b_id"))
    .values(last_seq=bindparam("b_seq"), updated_at=bindparam("b_at"))
)
_SET_LAST_SEQ_AND: dict[tuple[str, ...], Any] = {(): _SET_LAST_SEQ}


def _set_last_seq_and(columns: tuple[str, ...]) -> Any:
    """The ``UPDATE`` of ``last_seq`` that also sets ``columns`` (built once per set)."""
    statement = _SET_LAST_SEQ_AND.get(columns)
    if statement is None:
        statement = _SET_LAST_SEQ_AND[columns] = _SET_LAST_SEQ.values(
            {column: bindparam(f"b_{column}") for column in columns}
        )
    return statement


class _Clocks:
    """The service-level clocks the batch's messages start or stop (:mod:`.sla`), one
    conversation's messages applied in order, with the breaches of late replies."""

    __slots__ = ("breaches", "changed")

    def __init__(self) -> None:
        self.changed: dict[int, dict[str, Any]] = {}
        self.breaches: list[dict[str, Any]] = []

    def note(self, request: SendRequest, row: Any, now: datetime) -> None:
        cid = row.id
        before = self.changed.get(cid)
        current = row if before is None else sla.merged(row, before)
        values, late = sla.message_changes(
            current,
            from_operator=request.principal.is_operator,
            private=request.message.private,
            now=now,
        )
        if not values:
            return
        self.changed[cid] = values if before is None else {**before, **values}
        if late:
            self.breaches += sla.breach_rows(cid, late, row.assigned_operator_id, now)

    def write_last_seq(
        self, connection: Connection, last_seq: dict[int, int], now: datetime
    ) -> None:
        """Each conversation's ``last_seq`` and changed clocks: one ``executemany`` per set
        of changed columns (a batch has one or two: none, the next-response clock)."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for cid, seq in last_seq.items():
            params = {"b_id": cid, "b_seq": seq, "b_at": now}
            changed = self.changed.get(cid, {})
            for column, value in changed.items():
                params[f"b_{column}"] = value
            groups.setdefault(tuple(sorted(changed)), []).append(params)
        for columns, rows in groups.items():
            connection.execute(_set_last_seq_and(columns), rows)
        sla.record_sync(connection, self.breaches)


def _write_batch(
    connection: Connection, requests: Sequence[SendRequest], now: datetime
) -> tuple[list[tuple[int, Any, MessageView, int]], list[int], dict[int, dict[str, Any]], int]:
    """The transaction of :func:`store_batch`: (index, locked row, message, the
    conversation's last seq) for each stored message, the indexes of the requests whose
    guard objected, the service-level clocks changed, by conversation, and how many
    webhook deliveries the messages raised (``message.created``)."""
    ids = sorted({r.message.conversation_id for r in requests})
    sqlite = connection.dialect.name == "sqlite"
    with connection.begin() as transaction:
        locked = connection.execute(
            _LOCK_SQLITE if sqlite else _LOCK_POSTGRES, {"ids": ids, "now": now}
        )
        # plain objects: the checks, the clocks and the views read each row's columns some
        # fifty times a message, and a Core row's attribute lookup costs about 0.4 µs each
        keys = tuple(locked.keys())
        rows: dict[int, Any] = {}
        for columns in locked:
            locked_row = SimpleNamespace(**dict(zip(keys, columns, strict=True)))
            rows[locked_row.id] = locked_row
        # retries of messages already stored: answered one by one, never inserted again
        pairs = sorted({(r.message.conversation_id, r.message.client_msg_id) for r in requests})
        stored_before = (
            connection.execute(_STORED_BEFORE_SQLITE, {"pairs": json.dumps(pairs)})
            if sqlite
            else connection.execute(_STORED_BEFORE_POSTGRES, {"pairs": pairs})
        )
        taken: set[tuple[int, str]] = {(int(row[0]), str(row[1])) for row in stored_before}
        last_seq: dict[int, int] = {}
        left: set[int] = set()  # conversations whose later requests go one by one
        plan: list[tuple[int, SendRequest, Any, int]] = []
        objected: list[int] = []
        clocks = _Clocks()
        for index, request in enumerate(requests):
            cid = request.message.conversation_id
            row: Any = rows.get(cid)
            key = (cid, request.message.client_msg_id)
            if key in taken:
                continue  # stored before, or earlier in this batch: a retry
            if cid in left:
                continue
            role = _batch_role(request, row)
            if role == "moves":  # what follows in this conversation must see it moved
                left.add(cid)
            if role != "plain":
                continue
            if request.guard is not None and not request.guard(
                connection, row.customer_id, request.message.text
            ):
                objected.append(index)
                continue
            seq = last_seq.get(cid, int(row.last_seq)) + 1
            last_seq[cid] = seq
            taken.add(key)
            plan.append((index, request, row, seq))
            clocks.note(request, row, now)
        if not plan:
            transaction.rollback()
            return [], objected, {}, 0
        values: list[dict[str, Any]] = [
            {
                "conversation_id": request.message.conversation_id,
                "seq": seq,
                "sender_kind": "operator"
                if request.principal.is_operator
                else request.principal.kind,
                "sender_id": str(request.principal.id),
                "client_msg_id": request.message.client_msg_id,
                "text": request.message.text,
                "private": request.message.private,
                "extra": sent_extra(request.principal, request.message),
                "created_at": now,
            }
            for _, request, _, seq in plan
        ]
        try:
            message_ids = insert_messages(connection, values)
        except IntegrityError:
            transaction.rollback()
            return [], [], {}, 0
        outbound.queue_sync(
            connection,
            [
                outbound.delivery_row(message_id, row.id, row.channel, now)
                for (_, request, row, _), message_id, value in zip(
                    plan, message_ids, values, strict=True
                )
                if needs_delivery(row.channel, value["sender_kind"], request.message.private)
            ],
        )
        clocks.write_last_seq(connection, last_seq, now)
        stored = [
            (index, row, stored_view(message_id, **value), last_seq[row.id])
            for (index, request, row, _), message_id, value in zip(
                plan, message_ids, values, strict=True
            )
        ]
        emitted = webhooks.emit_sync(
            connection,
            WebhookEvent.MESSAGE_CREATED,
            [partial(message_data, view, row) for _, row, view, _ in stored],
            now,
        )
    return stored, objected, clocks.changed, emitted
