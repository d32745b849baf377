"""Allowed values of the string-coded columns (kept in one place for CHECK constraints)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint

__all__ = [
    "BALANCE_KINDS",
    "BALANCE_SOURCES",
    "CERTIFICATE_KINDS",
    "CERTIFICATE_STATUSES",
    "CONVERSATION_STATUSES",
    "CUSTOMER_KINDS",
    "DELIVERY_TYPES",
    "LINES",
    "MESSAGE_SENDERS",
    "NEWS_KINDS",
    "ORDER_STATUSES",
    "PROFITABILITY_LEVELS",
    "ROLES",
    "SALE_SCHEMES",
    "SMS_STATUSES",
    "TASK_PRIORITIES",
    "TASK_STATUSES",
    "one_of",
]

CUSTOMER_KINDS = ("individual", "legal_entity")
# pending: to send; sent: the gateway took it; expired: never sent, its code no longer valid
SMS_STATUSES = ("pending", "sent", "expired")
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
ROLES = ("operator", "backoffice", "supervisor", "admin")
LINES = ("general", "travel_priority", "seller")
CONVERSATION_STATUSES = ("bot", "queued", "assigned", "resolved", "closed")
MESSAGE_SENDERS = ("customer", "visitor", "bot", "operator", "system")
TASK_STATUSES = ("new", "in_progress", "waiting", "done", "rejected")
TASK_PRIORITIES = ("low", "normal", "high", "urgent")


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that keeps a string column inside a fixed set of values."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_allowed")
