"""Promotions news for operators and their per-operator read marks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import NEWS_KINDS, one_of

__all__ = ["News", "NewsRead"]


class News(Base):
    __tablename__ = "news"
    __table_args__ = (one_of("kind", NEWS_KINDS), Index("ix_news_created", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="promotion")
    title: Mapped[str] = mapped_column(String(300))
    # lower-cased title with ё→е: SQLite's LIKE folds the case of ASCII letters only
    title_search: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(120), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    # the lines whose operators see it (issue 16), as ",general,seller,"; null: every line
    lines: Mapped[str | None] = mapped_column(String(200), nullable=True)


class NewsRead(Base):
    __tablename__ = "news_reads"

    news_id: Mapped[int] = mapped_column(
        ForeignKey("news.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
