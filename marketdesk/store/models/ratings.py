"""«Оценка сервиса» beyond the conversation's own columns (``conversations.rating``,
``rating_comment``, ``rated_at``): the review a low rating opens for the supervisors, and
the one reminder sent to a customer who has not rated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketdesk.domain.ratings import ReviewStatus

from .base import Base, BigId, UTCDateTime, utcnow
from .values import one_of

__all__ = ["RatingReminder", "RatingReview"]

REVIEW_STATUSES = tuple(status.value for status in ReviewStatus)


class RatingReview(Base):
    """A low rating for a supervisor to look into: open, then done (by whom, with a note).
    One per conversation (a customer rates once)."""

    __tablename__ = "rating_reviews"
    __table_args__ = (
        one_of("status", REVIEW_STATUSES),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_rating_reviews_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=ReviewStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class RatingReminder(Base):
    """The one reminder to rate a conversation, sent by ``workers/ratings.py``: its row
    marks it sent (the primary key keeps it to one, across server processes)."""

    __tablename__ = "rating_reminders"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
