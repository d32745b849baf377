"""Allowed values of the string-coded columns (kept in one place for CHECK constraints).

The values that have a type in ``domain/`` (lines, roles, conversation and task statuses,
task priorities) are taken from it, in the enum's order: the CHECK constraint is the same
SQL as the migrations wrote, so a new member of such an enum needs a migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import CheckConstraint

from marketdesk.domain.channels import Channel
from marketdesk.domain.conversations import ConversationStatus
from marketdesk.domain.lines import Line
from marketdesk.domain.returns import ReturnReason
from marketdesk.domain.roles import Role
from marketdesk.domain.sla import SlaKind
from marketdesk.domain.task_outcomes import TaskOutcome
from marketdesk.domain.tasks import TaskPriority, TaskStatus

__all__ = [
    "BALANCE_KINDS",
    "BALANCE_SOURCES",
    "CERTIFICATE_KINDS",
    "CERTIFICATE_STATUSES",
    "CHANNELS",
    "CONVERSATION_STATUSES",
    "CUSTOMER_KINDS",
    "DELIVERY_TYPES",
    "LINES",
    "MESSAGE_SENDERS",
    "NEWS_KINDS",
    "ORDER_STATUSES",
    "PROFITABILITY_LEVELS",
    "RETURN_REASONS",
    "ROLES",
    "SALE_SCHEMES",
    "SLA_KINDS",
    "TASK_OUTCOMES",
    "TASK_PRIORITIES",
    "TASK_STATUSES",
    "one_of",
    "values_of",
]


def values_of(enum: type[StrEnum]) -> tuple[str, ...]:
    """The values of a string enum, in its order."""
    return tuple(member.value for member in enum)


CUSTOMER_KINDS = ("individual", "legal_entity")
PROFITABILITY_LEVELS = ("low", "medium", "high")
BALANCE_KINDS = ("rubles", "ozon_bonuses", "ozon_points", "premium_points")
BALANCE_SOURCES = (
    "certificate",
    "refund",
    "cashback",
    "promotion",
    "compensation",
    "review",
    "withdrawal",
    "purchase",
    "other",
)
SALE_SCHEMES = ("retail", "fbo", "fbs", "rfbs", "crossborder")
ORDER_STATUSES = (
    "created",
    "processing",
    "in_delivery",
    "ready_for_pickup",
    "completed",
    "cancelled",
)
DELIVERY_TYPES = ("pickup_point", "postamat", "courier", "post", "digital")
CERTIFICATE_KINDS = ("electronic", "plastic")
CERTIFICATE_STATUSES = ("issued", "activated", "expired")
NEWS_KINDS = ("promotion", "news", "instruction")
ROLES = values_of(Role)
LINES = values_of(Line)
RETURN_REASONS = values_of(ReturnReason)
CHANNELS = values_of(Channel)
SLA_KINDS = values_of(SlaKind)
CONVERSATION_STATUSES = values_of(ConversationStatus)
MESSAGE_SENDERS = ("customer", "visitor", "bot", "operator", "system")
TASK_STATUSES = values_of(TaskStatus)
TASK_PRIORITIES = values_of(TaskPriority)
TASK_OUTCOMES = values_of(TaskOutcome)


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that keeps a string column inside a fixed set of values."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_allowed")
