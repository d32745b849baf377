"""The chat's service-level clocks, kept inside the chat's own transactions.

Each hook is one call from the chat's writes (``domain.sla`` has the rules, the settings the
policy: ``MARKETDESK_SLA_POLICY``, set by the server with :func:`configure`):

* :func:`start_on_handoff` — handed to a person (queued): the first-response clock (unless a
  person answered before) and the resolution clock start;
* :func:`after_message` — a stored message: an operator's first public reply stops the
  first-response clock (``first_response_at``), any public reply stops the next-response
  clock; a customer's message while a person holds or awaits the conversation and no
  response clock runs starts the next-response clock;
* :func:`restart_on_reopen` — a resolved conversation reopened by its customer: resolution
  and next response start again;
* :func:`settle` — resolved or closed: every clock stops (escalation's too).

A clock stopped after its due time (a late reply, a late resolution) is recorded in
``sla_breaches`` right there, so the timer (:mod:`.sla_watch`) cannot miss it; the unique key
(conversation, kind, due) keeps it once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.domain.sla import DEFAULT_SLA_POLICY, ClockSet, SlaKind, SlaPolicy, SlaTargets
from marketdesk.domain.tasks import BusinessHours
from marketdesk.store.models import Conversation, SlaBreach, utcnow

__all__ = [
    "after_message",
    "breach_rows",
    "clocks",
    "configure",
    "configure_calendars",
    "due_times",
    "insert_ignoring_duplicates",
    "merged",
    "message_changes",
    "policy",
    "record_sync",
    "restart_on_reopen",
    "settle",
    "start_on_handoff",
    "targets",
    "view_fields",
]

_policy: SlaPolicy = DEFAULT_SLA_POLICY
_PERSON = (S.QUEUED.value, S.ASSIGNED.value)  # a person holds or awaits the conversation
# the targets of each (line, channel) looked up once per policy: a conversation's view and
# every message ask for them (the lookup builds a new SlaTargets: about 10 µs each time)
_targets: dict[tuple[str, str], SlaTargets] = {}


_calendars: dict[str, BusinessHours] = {}  # the business hours of each line (admins' edits)
_line_policies: dict[str, SlaPolicy] = {}


_running = True  # MARKETDESK_SLA_CLOCKS: false starts no clock (a marketplace without SLAs)


def configure(new: SlaPolicy, *, clocks_run: bool = True) -> None:
    """The process's policy (the server sets it from its settings at start); with
    ``clocks_run`` false no clock starts, so none is breached, warned of or shown."""
    global _policy, _running
    _policy = new
    _running = clocks_run
    _targets.clear()
    _line_policies.clear()


def configure_calendars(calendars: Mapping[str, BusinessHours]) -> None:
    """Each line's business-hours calendar (``services.people.calendar`` sets them from
    the admins' edits: the line's hours, public holidays, exceptions)."""
    _calendars.clear()
    _calendars.update(calendars)
    _line_policies.clear()


def policy(line: str | None = None) -> SlaPolicy:
    """The policy; with ``line``, its clocks count that line's business hours."""
    if line is None or line not in _calendars:
        return _policy
    found = _line_policies.get(line)
    if found is None:
        found = _line_policies[line] = replace(_policy, calendar=_calendars[line])
    return found


def _of(conversation: Any) -> SlaPolicy:
    return policy(str(conversation.line))


def targets(conversation: Any) -> SlaTargets:
    """The targets of a conversation (an ORM object or a Core row)."""
    key = (str(conversation.line), str(getattr(conversation, "channel", Channel.WEB)))
    found = _targets.get(key)
    if found is None:
        found = _targets[key] = _policy.targets(*key)
    return found


_NO_CLOCKS = ClockSet(())


def due_times(conversation: Any) -> dict[SlaKind, datetime | None]:
    return {
        SlaKind.FIRST_RESPONSE: conversation.first_response_due_at,
        SlaKind.NEXT_RESPONSE: conversation.next_response_due_at,
        SlaKind.RESOLUTION: conversation.resolution_due_at,
    }


def clocks(conversation: Any, now: datetime | None = None) -> ClockSet:
    """The conversation's running clocks and their states at ``now``."""
    return ClockSet.of(
        _of(conversation), targets(conversation), due_times(conversation), now or utcnow()
    )


# --------------------------------------------------------------------------- the hooks


def start_on_handoff(conversation: Conversation, now: datetime) -> None:
    if not _running:
        return
    t = targets(conversation)
    if conversation.first_response_at is None and conversation.first_response_due_at is None:
        conversation.first_response_due_at = _of(conversation).due(t.first_response, now)
    if conversation.resolution_due_at is None:
        conversation.resolution_due_at = _of(conversation).due(t.resolution, now)


def restart_on_reopen(conversation: Conversation, now: datetime) -> None:
    """The customer wrote into their resolved conversation: it waits for a reply again."""
    if not _running:
        return
    t = targets(conversation)
    conversation.resolution_due_at = _of(conversation).due(t.resolution, now)
    if conversation.first_response_at is None:
        conversation.first_response_due_at = _of(conversation).due(t.first_response, now)
    else:
        conversation.next_response_due_at = _of(conversation).due(t.next_response, now)


async def settle(session: AsyncSession, conversation: Conversation, now: datetime) -> None:
    """Resolved or closed: the clocks stop; one already past its due time is a breach."""
    late = [(kind, due) for kind, due in due_times(conversation).items() if due and due < now]
    await _record(session, conversation.id, late, conversation.assigned_operator_id, now)
    conversation.first_response_due_at = None
    conversation.next_response_due_at = None
    conversation.resolution_due_at = None
    conversation.escalation_due_at = None


def message_changes(
    row: Any, *, from_operator: bool, private: bool, now: datetime
) -> tuple[dict[str, Any], list[tuple[SlaKind, datetime]]]:
    """What a message stored now changes in the clocks of ``row`` (its state before the
    message): the new column values, and the clocks it stopped late (breaches). The buyer ↔
    seller chat runs no support clock: the seller answers it, not a support line."""
    if private or row.line == Line.SELLER_CHAT or not _running:
        return {}, []
    values: dict[str, Any] = {}
    late: list[tuple[SlaKind, datetime]] = []
    if from_operator:
        if row.first_response_at is None:
            values["first_response_at"] = now
            if row.first_response_due_at is not None:
                values["first_response_due_at"] = None
                if row.first_response_due_at < now:
                    late.append((SlaKind.FIRST_RESPONSE, row.first_response_due_at))
        if row.next_response_due_at is not None:
            values["next_response_due_at"] = None
            if row.next_response_due_at < now:
                late.append((SlaKind.NEXT_RESPONSE, row.next_response_due_at))
        return values, late
    if (
        row.status in _PERSON
        and row.first_response_due_at is None
        and row.next_response_due_at is None
    ):
        values["next_response_due_at"] = _of(row).due(targets(row).next_response, now)
    return values, late


async def after_message(
    session: AsyncSession, row: Any, *, from_operator: bool, private: bool, now: datetime
) -> dict[str, Any]:
    """:func:`message_changes` applied inside a message's transaction (``row`` is locked).
    → the changed columns (empty: nothing changed, nothing written)."""
    values, late = message_changes(row, from_operator=from_operator, private=private, now=now)
    if values:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == row.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    await _record(session, row.id, late, row.assigned_operator_id, now)
    return values


def merged(row: Any, values: Mapping[str, Any]) -> Any:
    """A Core row of ``conversations`` with some columns changed (for its view and event)."""
    base = vars(row) if isinstance(row, SimpleNamespace) else row._asdict()
    return SimpleNamespace(**{**base, **values})


# --------------------------------------------------------------------------- breaches


def breach_rows(
    conversation_id: int,
    late: list[tuple[SlaKind, datetime]],
    operator_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "conversation_id": conversation_id,
            "kind": kind.value,
            "due_at": due,
            "breached_at": now,
            "operator_id": operator_id,
        }
        for kind, due in late
    ]


def insert_ignoring_duplicates(dialect: str, table: Any) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` of ``table`` (once per unique key, whichever
    process comes first)."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return make(table).on_conflict_do_nothing()


async def _record(
    session: AsyncSession,
    conversation_id: int,
    late: list[tuple[SlaKind, datetime]],
    operator_id: int | None,
    now: datetime,
) -> None:
    if late:
        dialect = session.get_bind().dialect.name
        await session.execute(
            insert_ignoring_duplicates(dialect, SlaBreach.__table__),
            breach_rows(conversation_id, late, operator_id, now),
        )


def record_sync(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """The breaches of the group commit's transaction (on its connection)."""
    if rows:
        connection.execute(
            insert_ignoring_duplicates(connection.dialect.name, SlaBreach.__table__), rows
        )


def view_fields(conversation: Any, now: datetime | None = None) -> Mapping[str, Any]:
    """The SLA part of a conversation's view: the due times, the most urgent clock and its
    state, the escalation."""
    escalated_at = getattr(conversation, "escalated_at", None)
    if (
        conversation.first_response_due_at is None
        and conversation.next_response_due_at is None
        and conversation.resolution_due_at is None
    ):
        running = _NO_CLOCKS  # nothing runs: nothing to look up (most views of a list)
    else:
        running = clocks(conversation, now or utcnow())
    worst = running.worst
    open_to_escalate = escalated_at is None and conversation.status in _PERSON
    return {
        "channel": getattr(conversation, "channel", Channel.WEB.value),
        "first_response_at": conversation.first_response_at,
        "first_response_due_at": conversation.first_response_due_at,
        "next_response_due_at": conversation.next_response_due_at,
        "resolution_due_at": conversation.resolution_due_at,
        "sla_state": worst.state.value if worst else None,
        "sla_kind": worst.kind.value if worst else None,
        "sla_due_at": worst.due_at if worst else None,
        "escalated_at": escalated_at,
        "escalation_due_at": getattr(conversation, "escalation_due_at", None),
        "escalation_available": open_to_escalate and running.overdue,
        # when it will be offered if nobody answers in time (the widget shows the button then)
        "escalation_available_from": (
            min(c.due_at for c in running.clocks) if open_to_escalate and running.clocks else None
        ),
    }
