"""Back-office tasks and staff notices."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.domain import tasks as rules
from marketdesk.domain.task_outcomes import TaskOutcome
from marketdesk.services import task_escalation, tasks
from marketdesk.services.people import calendar as calendars
from marketdesk.services.task_escalation import NoticeView
from marketdesk.services.tasks import TaskCard, TaskSummary

from .deps import CurrentOperator, DbSession
from .types import BigId

router = APIRouter(prefix="/api/v1", tags=["tasks"])


def _moscow_midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), rules.MOSCOW_TZ) if day is not None else None


TaskNumber = Annotated[str, Path(pattern=r"^CTASK-\d{7,}$", max_length=32)]
Status = rules.TaskStatus


class CreateTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    priority: rules.TaskPriority | None = None
    customer_id: BigId | None = None
    order_number: str | None = Field(default=None, max_length=32)
    product_id: BigId | None = None
    conversation_id: BigId | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    comment: str | None = Field(default=None, max_length=4000)
    outcome: TaskOutcome | None = None  # required to finish a task of a typed queue


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str | None = Field(max_length=64, description="null — вернуть задачу в очередь")


class NewComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class TaskPage(BaseModel):
    total: int
    tasks: list[TaskSummary]


class QueueView(BaseModel):
    path: str
    title: str
    deadline_hours: float
    business_hours: bool
    open: int = 0  # tasks new, in progress or waiting
    overdue: int = 0  # of those, past their deadline


class Queues(BaseModel):
    queues: list[QueueView]


class Notices(BaseModel):
    notices: list[NoticeView]


@router.get("/tasks/queues", response_model=Queues)
async def queues(operator: CurrentOperator, session: DbSession) -> Queues:
    loads = await tasks.queue_loads(session, operator)
    return Queues(
        queues=[
            QueueView(
                path=q.path,
                title=q.title_ru,
                deadline_hours=q.deadline.total_seconds() / 3600,
                business_hours=q.business_hours,
                open=loads[q.path].open if q.path in loads else 0,
                overdue=loads[q.path].overdue if q.path in loads else 0,
            )
            for q in map(calendars.queue_spec, rules.QUEUES)  # as the admins set them
        ]
    )


@router.get("/tasks", response_model=TaskPage)
async def list_tasks(
    operator: CurrentOperator,
    session: DbSession,
    queue: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    customer_id: Annotated[BigId | None, Query()] = None,
    mine: bool = False,
    assignee: Annotated[BigId | None, Query(description="ID сотрудника")] = None,
    overdue: bool = False,
    created_from: Annotated[date | None, Query(description="Создана с (дата)")] = None,
    created_to: Annotated[date | None, Query(description="Создана по (дата включительно)")] = None,
    sort: Literal["deadline", "newest"] = "deadline",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    """A page of tasks: by queue, status, assignee (``mine`` or an id), overdue and creation
    date (Moscow days), the nearest deadline first (or ``sort=newest``)."""
    total, items = await tasks.list_tasks(
        session,
        operator,
        queue=queue,
        statuses=status or (),
        customer_id=customer_id,
        assignee_id=int(operator.id) if mine else assignee,
        overdue_only=overdue,
        created_from=_moscow_midnight(created_from),
        created_to=_moscow_midnight(created_to + timedelta(days=1) if created_to else None),
        newest_first=sort == "newest",
        limit=limit,
        offset=offset,
    )
    return TaskPage(total=total, tasks=items)


@router.post("/tasks", response_model=TaskCard, status_code=201)
async def create(body: CreateTask, operator: CurrentOperator, session: DbSession) -> TaskCard:
    return await tasks.create_task_card(session, operator, **body.model_dump())


@router.get("/tasks/{number}", response_model=TaskCard)
async def get(number: TaskNumber, operator: CurrentOperator, session: DbSession) -> TaskCard:
    return await tasks.get_task(session, operator, number)


@router.post("/tasks/{number}/status", response_model=TaskCard)
async def change_status(
    number: TaskNumber, body: StatusChange, operator: CurrentOperator, session: DbSession
) -> TaskCard:
    task = await tasks.change_status(
        session, operator, number, body.status, comment=body.comment, outcome=body.outcome
    )
    return await tasks.get_task(session, operator, number, task=task)


@router.post("/tasks/{number}/assign", response_model=TaskCard)
async def assign(
    number: TaskNumber, body: Assignment, operator: CurrentOperator, session: DbSession
) -> TaskCard:
    task = await tasks.assign_task(session, operator, number, body.login)
    return await tasks.get_task(session, operator, number, task=task)


@router.post("/tasks/{number}/comments", response_model=TaskCard, status_code=201)
async def comment(
    number: TaskNumber, body: NewComment, operator: CurrentOperator, session: DbSession
) -> TaskCard:
    task = await tasks.add_comment(session, operator, number, body.text)
    return await tasks.get_task(session, operator, number, task=task)


@router.get("/notices", response_model=Notices)
async def notices(operator: CurrentOperator, session: DbSession, unread: bool = False) -> Notices:
    found = await task_escalation.list_notices(session, operator, unread_only=unread)
    return Notices(notices=found)
