"""People and structure (issue 16): the business-hours calendar's exceptions, the hours of
each line and the deadlines of the queues as admins set them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .values import LINES, one_of

__all__ = ["CalendarException", "LineSchedule", "QueueSetting"]


class CalendarException(Base):
    """A date an admin made a day off (``holiday``) or a working day (``workday``)."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (one_of("kind", ("holiday", "workday")),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120), default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LineSchedule(Base):
    """A line's working hours (Moscow wall-clock ``HH:MM``, weekdays ``0,1,2,3,4``)."""

    __tablename__ = "line_schedules"
    __table_args__ = (one_of("line", LINES),)

    line: Mapped[str] = mapped_column(String(24), primary_key=True)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    workdays: Mapped[str] = mapped_column(String(16))
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueSetting(Base):
    """A queue's deadline as an admin set it (the queues themselves are domain.tasks')."""

    __tablename__ = "queue_settings"

    queue: Mapped[str] = mapped_column(String(200), primary_key=True)
    deadline_minutes: Mapped[int] = mapped_column(Integer)
    business_hours: Mapped[bool] = mapped_column(Boolean)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
