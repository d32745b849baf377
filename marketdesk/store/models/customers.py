"""Customers, their balances, comments and the coupon-ban record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, event, func
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from marketdesk.domain.customer_search import name_key

from .base import Base, BigId, UTCDateTime, utcnow
from .values import BALANCE_KINDS, BALANCE_SOURCES, CUSTOMER_KINDS, PROFITABILITY_LEVELS, one_of

__all__ = ["BalanceEntry", "CouponBan", "Customer", "CustomerComment"]


NAME_KEY = String(200).with_variant(String(200, collation="C"), "postgresql")


def _name_key_of_row(context: DefaultExecutionContext) -> str:
    """The searchable name of a row inserted without one (Core inserts, executemany)."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return name_key(str(parameters.get("full_name") or ""))


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        one_of("kind", CUSTOMER_KINDS),
        one_of("profitability", PROFITABILITY_LEVELS),
        Index("ix_customers_name_key", "name_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    full_name: Mapped[str] = mapped_column(String(200))
    registered_on: Mapped[date] = mapped_column(Date)
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    kind: Mapped[str] = mapped_column(String(16), default="individual")
    company_name: Mapped[str | None] = mapped_column(String(300))
    profitability: Mapped[str] = mapped_column(String(16), default="medium")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the full name as it is searched (``domain.customer_search.name_key``): kept by the
    # model, never written by hand
    # (byte order on PostgreSQL too, whatever the database's collation: the search is a
    # prefix range, ``>= prefix`` and ``< prefix + U+10FFFF``)
    name_key: Mapped[str] = mapped_column(NAME_KEY, default=_name_key_of_row)


# e-mails are found without regard to case (the expression is the migration's)
Index("ix_customers_email_lower", func.lower(Customer.email))


@event.listens_for(Customer.full_name, "set")
def _keep_name_key(target: Customer, value: str | None, _old: object, _initiator: object) -> None:
    target.name_key = name_key(value or "")


class BalanceEntry(Base):
    """One movement of money or points; a balance is the sum of its entries."""

    __tablename__ = "balance_entries"
    __table_args__ = (
        one_of("kind", BALANCE_KINDS),
        one_of("source", BALANCE_SOURCES),
        Index("ix_balance_entries_customer_kind", "customer_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    # kopecks for rubles, hundredths of a point for the point balances
    amount: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(24))
    reference: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CustomerComment(Base):
    __tablename__ = "customer_comments"
    __table_args__ = (Index("ix_customer_comments_customer", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponBan(Base):
    """Internal record: never shown to the customer (seed 000)."""

    __tablename__ = "coupon_bans"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    intersections: Mapped[int] = mapped_column(Integer)
    linked_customer_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
