"""The reports' materialised facts (``services.reports``, ``domain.reports``): one row per
conversation of a closed day, and the days that are materialised."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow

__all__ = ["ConversationFact", "ReportDay", "ReportDayTally"]


class ConversationFact(Base):
    """What the reports count of one conversation (``domain.reports.ConversationFacts``),
    written by the reports worker for the days it materialises. Flags are 0/1 so that they
    sum on every database."""

    __tablename__ = "conversation_facts"
    __table_args__ = (
        Index("ix_conversation_facts_day", "day", "line"),
        # a report filtered by operator, topic or channel reads that one's rows only
        Index("ix_conversation_facts_operator", "operator_id", "day"),
        Index("ix_conversation_facts_topic", "topic", "day"),
        Index("ix_conversation_facts_channel", "channel", "day"),
    )

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date)  # Moscow date of creation
    hour: Mapped[int] = mapped_column(SmallInteger)  # Moscow hour of creation
    line: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    operator_id: Mapped[int | None] = mapped_column(BigId)
    handed: Mapped[int] = mapped_column(SmallInteger)
    breached: Mapped[int] = mapped_column(SmallInteger)
    resolved: Mapped[int] = mapped_column(SmallInteger)
    first_response_s: Mapped[float | None] = mapped_column(Float)
    first_response_bucket: Mapped[int | None] = mapped_column(SmallInteger)
    resolution_s: Mapped[float | None] = mapped_column(Float)
    resolution_bucket: Mapped[int | None] = mapped_column(SmallInteger)
    handle_s: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(SmallInteger)


class ReportDay(Base):
    """A Moscow day whose conversations are in ``conversation_facts``; the reports read the
    other days live from ``conversations``."""

    __tablename__ = "report_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportDayTally(Base):
    """The tallies of a materialised day's conversations by one grouping (``all``, ``hour``,
    ``topic``, ``operator``), of all of them or of one line or channel (``hour|line=seller``,
    ``services.reports.facts.tally_grouping``): ``[[key, Tally.to_json()], ...]``. What a
    report without filters (or with one line or channel) reads: a row a day."""

    __tablename__ = "report_day_tallies"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    grouping: Mapped[str] = mapped_column(String(48), primary_key=True)
    data: Mapped[list[Any]] = mapped_column(JSON)
