"""The structure admins edit (issue 16): the business-hours calendar's exceptions over
Russia's public holidays, each line's hours, each queue's deadline. Supervisors read."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services.people import structure
from marketdesk.services.people.structure import CalendarDayView, CalendarView, LineView, QueueView

from .deps import CurrentOperator, DbSession

router = APIRouter(prefix="/api/v1", tags=["structure"])


class DayChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=16, description="holiday | workday")
    title: str = Field(default="", max_length=120)


class LineList(BaseModel):
    lines: list[LineView]


class HoursChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens: str = Field(min_length=1, max_length=8, description="ЧЧ:ММ, московское время")
    closes: str = Field(min_length=1, max_length=8)
    workdays: list[int] = Field(min_length=1, max_length=7, description="0 — понедельник")


class QueueList(BaseModel):
    queues: list[QueueView]


class DeadlineChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1, max_length=200)
    deadline_minutes: int = Field(ge=1, le=86400)
    business_hours: bool


@router.get("/calendar", response_model=CalendarView)
async def calendar_year(
    operator: CurrentOperator, session: DbSession, year: int | None = None
) -> CalendarView:
    """The year's days off and working weekend days: Russia's public calendar with the
    admins' exceptions (supervisors and admins)."""
    return await structure.calendar_year(session, operator, year)


@router.put("/calendar/{day}", response_model=CalendarDayView)
async def set_day(
    day: dt.date, body: DayChange, operator: CurrentOperator, session: DbSession
) -> CalendarDayView:
    """Make a date a day off or a working day (admins), e.g. a transferred working day."""
    return await structure.set_exception(session, operator, day, body.kind, body.title)


@router.delete("/calendar/{day}", status_code=204)
async def remove_day(day: dt.date, operator: CurrentOperator, session: DbSession) -> Response:
    """Back to the public calendar on that date (admins)."""
    await structure.remove_exception(session, operator, day)
    return Response(status_code=204)


@router.get("/lines", response_model=LineList)
async def lines(operator: CurrentOperator, session: DbSession) -> LineList:
    """Each line's working hours (supervisors and admins)."""
    return LineList(lines=await structure.lines(session, operator))


@router.put("/lines/{line}", response_model=LineView)
async def set_line_hours(
    line: str, body: HoursChange, operator: CurrentOperator, session: DbSession
) -> LineView:
    """A line's working hours (admins): its business-hours SLA targets count them."""
    return await structure.set_line_hours(
        session, operator, line, opens=body.opens, closes=body.closes, workdays=body.workdays
    )


@router.get("/queues", response_model=QueueList)
async def queues(operator: CurrentOperator, session: DbSession) -> QueueList:
    """Each back-office queue's deadline (supervisors and admins)."""
    return QueueList(queues=await structure.queues(session, operator))


@router.put("/queues/deadline", response_model=QueueView)
async def set_queue_deadline(
    body: DeadlineChange, operator: CurrentOperator, session: DbSession
) -> QueueView:
    """A queue's deadline for new tasks (admins), in elapsed or working time."""
    return await structure.set_queue_deadline(
        session,
        operator,
        body.queue,
        deadline_minutes=body.deadline_minutes,
        business_hours=body.business_hours,
    )
