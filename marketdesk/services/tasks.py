"""Back-office tasks (seed 000's CTASK queues): create, work, comment, escalate.

Every write goes through one function here that checks (rights, rules), does (in one
transaction, with a history event and an audit entry). Overdue tasks are escalated by
:mod:`.task_escalation`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Required, TypedDict, Unpack

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from marketdesk.domain import tasks as rules
from marketdesk.domain.roles import Role
from marketdesk.domain.task_outcomes import (
    OUTCOME_TITLES_RU,
    TYPED_OUTCOMES,
    TaskOutcome,
    outcome_for,
)
from marketdesk.domain.task_outcomes import OutcomeNotAllowed as OutcomeNotAllowedRule
from marketdesk.domain.task_outcomes import OutcomeRequired as OutcomeRequiredRule
from marketdesk.domain.webhooks import WebhookEvent
from marketdesk.store import json_codec
from marketdesk.store.db import read_first
from marketdesk.store.json_rows import rows_as_json, rows_from_json, utc
from marketdesk.store.models import (
    Conversation,
    Customer,
    Operator,
    OperatorRole,
    Order,
    Product,
    Task,
    TaskComment,
    TaskEvent,
    utcnow,
)
from marketdesk.store.quick_reads import QuickQuery
from marketdesk.store.rows import (
    Follower,
    adopt_row,
    execute_followed,
    insert_numbered,
    update_by_id,
)
from marketdesk.store.transactions import statement_alone

from . import audit, chat, chat_access, task_live, task_outcomes, webhooks
from .errors import (
    EmptyText,
    FieldTooLong,
    InvalidPriority,
    InvalidTaskOutcome,
    InvalidTaskStatus,
    InvalidTransition,
    LinkMismatch,
    LinkNotFound,
    NotBackofficeAgent,
    OutcomeNotAllowed,
    OutcomeRequired,
    ReasonRequired,
    StaffMemberNotFound,
    TaskClosed,
    TaskNotFound,
    UnknownQueue,
)
from .people import calendar as calendars
from .principals import Principal
from .webhooks.payloads import task_data

__all__ = [
    "NewTask",
    "TaskCard",
    "TaskSummary",
    "add_comment",
    "assign_task",
    "change_status",
    "create_task",
    "create_task_card",
    "get_task",
    "list_tasks",
    "task_number",
]

WORKER_ROLES = (Role.BACKOFFICE, Role.SUPERVISOR)
_PRIORITIES = [p.value for p in rules.TaskPriority]
MAX_TITLE = 300
MAX_TEXT = 4_000


TASK_PREFIX, TASK_DIGITS = "CTASK-", 7


def task_number(task_id: int) -> str:
    return f"{TASK_PREFIX}{task_id:0{TASK_DIGITS}d}"


class TaskSummary(BaseModel):
    id: int
    number: str
    queue: str
    title: str
    status: str
    status_title: str
    priority: str
    assignee: str | None
    customer_id: int | None
    order_number: str | None
    product_id: int | None
    conversation_id: int | None
    created_at: datetime
    deadline_at: datetime | None
    overdue: bool
    escalated_at: datetime | None
    outcome: str | None = None  # how it ended (``domain.task_outcomes``)
    outcome_title: str | None = None
    outcomes: list[str] = []  # what it may end with when done (typed queues; else ["done"])
    outcome_titles: dict[str, str] = {}  # Russian titles of ``outcomes``


class TaskCommentView(BaseModel):
    id: int
    author: str | None
    text: str
    created_at: datetime


class TaskEventView(BaseModel):
    at: datetime
    actor: str | None
    kind: str
    details: dict[str, Any]


class TaskCard(TaskSummary):
    description: str
    comments: list[TaskCommentView]
    history: list[TaskEventView]


def _summary(task: Task, assignee: str | None, now: datetime) -> dict[str, Any]:
    return {
        "id": task.id,
        "number": task.number,
        "queue": task.queue,
        "title": task.title,
        "status": task.status,
        "status_title": rules.TASK_STATUS_TITLES_RU[rules.TaskStatus(task.status)],
        "priority": task.priority,
        "assignee": assignee,
        "customer_id": task.customer_id,
        "order_number": task.order_number,
        "product_id": task.product_id,
        "conversation_id": task.conversation_id,
        "created_at": task.created_at,
        "deadline_at": task.deadline_at,
        "overdue": bool(
            task.deadline_at
            and not rules.is_terminal(rules.TaskStatus(task.status))
            and rules.is_overdue(task.deadline_at, now)
        ),
        "escalated_at": task.escalated_at,
        "outcome": task.outcome,
        "outcome_title": OUTCOME_TITLES_RU[TaskOutcome(task.outcome)] if task.outcome else None,
        "outcomes": [str(o) for o in TYPED_OUTCOMES.get(task.queue, (TaskOutcome.DONE,))],
        "outcome_titles": {
            str(o): OUTCOME_TITLES_RU[o]
            for o in TYPED_OUTCOMES.get(task.queue, (TaskOutcome.DONE,))
        },
    }


# A task's writes as prepared statements, not the ORM's flush: on SQLite the write lock is
# held from the first of them to the commit, and the unit of work cost more than the
# statements themselves (task creation in-process 2.34 → 1.94 ms of CPU, bench/README.md)
_TASKS: Table = Task.__table__  # type: ignore[assignment]
_EVENTS: Table = TaskEvent.__table__  # type: ignore[assignment]
_COMMENTS: Table = TaskComment.__table__  # type: ignore[assignment]
_UPDATE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("task_id"))  # SET: the keys
_INSERT_EVENT = insert(_EVENTS)
_TOUCH_TASK = (
    update(_TASKS)
    .where(_TASKS.c.number == bindparam("b_number", type_=_TASKS.c.number.type))
    .values(updated_at=bindparam("b_updated_at", type_=_TASKS.c.updated_at.type))
    .returning(*_TASKS.c)
)


async def _set(session: AsyncSession, task: Task, **values: Any) -> None:
    """``values`` on the task's row with one prepared ``UPDATE``, and on its object as the
    committed state: nothing left for the flush to work out. (Not ``rows.write_changes``,
    which does the same from the object's history: measured in-process, it cost a task's
    change 0.03–0.2 ms more of CPU.)"""
    await session.execute(_UPDATE_TASK, {"task_id": task.id, **values})
    for name, value in values.items():
        set_committed_value(task, name, value)


async def _write_event(
    session: AsyncSession,
    task: Task,
    actor: Principal | None,
    kind: str,
    now: datetime,
    **details: Any,
) -> TaskEvent:
    """A history event written at once (one prepared ``INSERT``); → the event (not in the
    session: for the card's history)."""
    event = _event(task, actor, kind, now, **details)
    await session.execute(
        _INSERT_EVENT,
        {
            "task_id": event.task_id,
            "at": event.at,
            "actor_id": event.actor_id,
            "kind": event.kind,
            "details": event.details,
        },
    )
    return event


def _event_values(
    actor: Principal | None, kind: str, now: datetime, **details: Any
) -> dict[str, Any]:
    """A history event's columns but its ``task_id``."""
    actor_id = int(actor.id) if actor and actor.is_operator else None
    return {"at": now, "actor_id": actor_id, "kind": kind, "details": details}


def _event(
    task: Task, actor: Principal | None, kind: str, now: datetime, **details: Any
) -> TaskEvent:
    return TaskEvent(task_id=task.id, **_event_values(actor, kind, now, **details))


def _history(actor: Principal | None, kind: str, now: datetime, **details: Any) -> Follower:
    """A history event written with its task's row (:func:`.rows.execute_followed`)."""
    return Follower(_EVENTS, _event_values(actor, kind, now, **details), {"task_id": "id"})


def _comment(actor: Principal, text: str, now: datetime) -> Follower:
    """A comment written with its task's row (:func:`.rows.execute_followed`)."""
    values = {"author_id": int(actor.id), "text": text, "created_at": now}
    return Follower(_COMMENTS, values, {"task_id": "id"})


def _clean_text(value: str, what: str, limit: int, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise EmptyText(field=what)
    if len(value) > limit:
        raise FieldTooLong(field=what, limit=limit)
    return value


class NewTask(TypedDict, total=False):
    """What a new task is made of (the keyword arguments of :func:`create_task`)."""

    queue: Required[str]
    title: Required[str]
    description: str
    priority: str | None
    customer_id: int | None
    order_number: str | None
    product_id: int | None
    conversation_id: int | None


async def create_task(
    session: AsyncSession,
    actor: Principal | None,
    *,
    now: datetime | None = None,
    commit: bool = True,
    on_behalf_of: Principal | None = None,
    followers: Sequence[Follower] = (),
    product_found: bool = False,
    **fields: Unpack[NewTask],
) -> Task:
    """Open a task in a known queue; its deadline comes from the queue (domain.tasks).
    ``actor`` None is the system (a rule that creates a task on a customer's behalf:
    ``on_behalf_of``). Every linked id is checked against the rights of the actor (or of
    the one the task is created for) before it is used: see :func:`_check_links`
    (``product_found``: the caller has just read the linked product, it is not read
    again). ``followers``: the caller's rows that go in with the task's (such as the audit
    entry of the rule that opened it; on PostgreSQL in the same statement)."""
    task, _ = await _open_task(
        session,
        actor,
        fields,
        now=now,
        commit=commit,
        on_behalf_of=on_behalf_of,
        followers=followers,
        product_found=product_found,
    )
    return task


async def create_task_card(
    session: AsyncSession, actor: Principal, **fields: Unpack[NewTask]
) -> TaskCard:
    """:func:`create_task` for an operator, answered with the new task's card built from
    what was written: nobody is assigned yet, it has no comments, and its history is the
    one ``created`` event — what :func:`get_task` would read back, without its queries."""
    task, created = await _open_task(session, actor, fields)
    made = TaskEventView(
        at=created.at, actor=actor.name, kind=created.kind, details=created.details
    )
    return _card(task, None, [], [made], utcnow())


async def _open_task(
    session: AsyncSession,
    actor: Principal | None,
    fields: NewTask,
    *,
    now: datetime | None = None,
    commit: bool = True,
    on_behalf_of: Principal | None = None,
    followers: Sequence[Follower] = (),
    product_found: bool = False,
) -> tuple[Task, TaskEvent]:
    queue, priority = fields["queue"], fields.get("priority")
    customer_id, order_number = fields.get("customer_id"), fields.get("order_number")
    product_id, conversation_id = fields.get("product_id"), fields.get("conversation_id")
    if actor is not None:
        actor.require_operator()
    now = now or utcnow()
    await calendars.ensure_fresh(session)
    try:
        spec = calendars.queue_spec(queue)
    except rules.UnknownQueue:
        known = "; ".join(rules.QUEUES)
        raise UnknownQueue(queue=queue, known=known) from None
    title = _clean_text(fields["title"], "Заголовок", MAX_TITLE)
    description = _clean_text(fields.get("description", ""), "Описание", MAX_TEXT, required=False)
    if priority is None:
        priority = rules.TaskPriority.NORMAL
    elif priority not in {p.value for p in rules.TaskPriority}:
        raise InvalidPriority()
    await _check_links(
        session,
        actor if actor is not None else on_behalf_of,
        customer_id=customer_id,
        order_number=order_number,
        product_id=None if product_found else product_id,
        conversation_id=conversation_id,
    )

    history = _history(actor, "created", now, queue=spec.path)
    audited = audit.follower(
        actor,
        "task.created",
        entity_kind="task",
        id_from="number",
        queue=spec.path,
        customer_id=customer_id,
    )
    # one statement on PostgreSQL, which may go alone (no BEGIN and COMMIT) where nothing
    # else is written: no conversation's note, no webhook wanting the task, the commit here
    alone = (
        commit
        and conversation_id is None
        and await webhooks.alone_where_unwanted(session, WebhookEvent.TASK_CREATED)
    )
    task = await insert_numbered(  # the number made of the id by the insert itself
        session,
        Task,
        {
            "queue": spec.path,
            "title": title,
            "description": description,
            "status": str(rules.TaskStatus.NEW),
            "priority": str(priority),
            "created_by_id": int(actor.id) if actor else None,
            "customer_id": customer_id,
            "order_number": order_number,
            "product_id": product_id,
            "conversation_id": conversation_id,
            "created_at": now,
            "updated_at": now,
            "deadline_at": rules.deadline_for(spec, now, calendars.current()),
        },
        column="number",
        prefix=TASK_PREFIX,
        digits=TASK_DIGITS,
        # its history's first event, the caller's rows and the audit's entry
        followers=(history, *followers, audited),
    )
    created = TaskEvent(task_id=task.id, **history.values)
    if conversation_id is not None:
        await chat.add_system_message(
            session,
            conversation_id,
            f"Создана заявка {task.number} («{spec.title_ru}»).",
        )
    if not alone:
        await webhooks.emit(session, WebhookEvent.TASK_CREATED, lambda: task_data(task))
    await task_live.announce(session, "created", [task], actor=actor)
    if commit:
        await session.commit()
    return task, created


def _card(
    task: Task,
    assignee: str | None,
    comments: list[TaskCommentView],
    history: list[TaskEventView],
    now: datetime,
) -> TaskCard:
    return TaskCard(
        **_summary(task, assignee, now),
        description=task.description,
        comments=comments,
        history=history,
    )


def _link_not_found(name: str, key: object) -> LinkNotFound:
    # one answer for a missing object and for someone else's: no existence oracle
    return LinkNotFound(what=name, key=key)


def _link_mismatch(what: str) -> LinkMismatch:
    return LinkMismatch(what=what)


async def _check_links(
    session: AsyncSession,
    viewer: Principal | None,
    *,
    customer_id: int | None,
    order_number: str | None,
    product_id: int | None,
    conversation_id: int | None,
) -> None:
    """Each linked id must exist and be the ``viewer``'s to use (None: the system, which
    links what it was given): a customer links only their own account, orders and
    conversations; staff link any customer, order and product, and a conversation only if
    they may read it (its line, its operators, supervisors: ``services.chat_access``).
    A missing id and a forbidden one get the same answer. The links must agree: an order
    or a conversation of another customer than the task's is refused."""

    def foreign(owner: object) -> bool:
        """Someone else's, for a customer (staff may link any customer's)."""
        return viewer is not None and not viewer.is_operator and str(viewer.id) != str(owner)

    if customer_id is not None and (
        foreign(customer_id) or await session.get(Customer, customer_id) is None
    ):
        raise _link_not_found("Покупатель", customer_id)
    if product_id is not None and await session.get(Product, product_id) is None:
        raise _link_not_found("Товар", product_id)
    if order_number is not None:
        owner = await session.scalar(select(Order.customer_id).where(Order.number == order_number))
        if owner is None or foreign(owner):
            raise _link_not_found("Заказ", order_number)
        if customer_id is not None and owner != customer_id:
            raise _link_mismatch(f"Заказ {order_number}")
    if conversation_id is not None:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None or (
            viewer is not None and not await chat_access.may_read(session, viewer, conversation)
        ):
            raise _link_not_found("Диалог", conversation_id)
        if (
            customer_id is not None
            and conversation.customer_id is not None
            and conversation.customer_id != customer_id
        ):
            raise _link_mismatch(f"Диалог {conversation_id}")


_BY_NUMBER = select(Task).where(Task.number == bindparam("number", type_=Task.number.type))
_BY_NUMBER_LOCKED = _BY_NUMBER.with_for_update()


async def _load(session: AsyncSession, number: str, *, lock: bool = False) -> Task:
    task = await session.scalar(_BY_NUMBER_LOCKED if lock else _BY_NUMBER, {"number": number})
    if task is None:
        raise TaskNotFound(number=number)
    return task


# The task card's statements, built once (a statement built per call cost more CPU than
# SQLite took to run it).
_CARD_TASK = (
    select(Task, Operator.full_name)
    .outerjoin(Operator, Operator.id == Task.assignee_id)
    .where(Task.number == bindparam("number", type_=Task.number.type))
)
_OPERATOR_NAME = select(Operator.full_name).where(
    Operator.id == bindparam("operator_id", type_=Operator.id.type)
)
_TASK_ID = bindparam("task_id", type_=Task.id.type)
_COMMENTS_ORDER = (TaskComment.id,)
_CARD_COMMENTS = (
    select(TaskComment.id, Operator.full_name, TaskComment.text, TaskComment.created_at)
    .outerjoin(Operator, Operator.id == TaskComment.author_id)
    .where(TaskComment.task_id == _TASK_ID)
    .order_by(*_COMMENTS_ORDER)
)
_HISTORY_ORDER = (TaskEvent.id,)
_CARD_HISTORY = (
    select(TaskEvent.at, Operator.full_name, TaskEvent.kind, TaskEvent.details)
    .outerjoin(Operator, Operator.id == TaskEvent.actor_id)
    .where(TaskEvent.task_id == _TASK_ID)
    .order_by(*_HISTORY_ORDER)
)
# the comments and the history, one statement: each a JSON column (store.json_rows)
_CARD_LISTS = select(
    rows_as_json(_CARD_COMMENTS, _COMMENTS_ORDER).label("comments"),
    rows_as_json(_CARD_HISTORY, _HISTORY_ORDER).label("history"),
)
_CARD_LISTS_READ = QuickQuery(_CARD_LISTS)


def _details(value: dict[str, Any] | str | None) -> dict[str, Any]:
    """An event's details from a JSON row: PostgreSQL's ``json`` comes as its object,
    SQLite's JSON text as text (a subquery's column loses what marks it as JSON)."""
    if isinstance(value, str):
        loaded = json_codec.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return value or {}


async def get_task(
    session: AsyncSession,
    actor: Principal,
    number: str,
    *,
    now: datetime | None = None,
    task: Task | None = None,
) -> TaskCard:
    """The task's card: the task with its assignee's name, its comments and its history
    with their authors' names (two statements; one when the caller has the ``task`` row,
    as the use case that just wrote it has, and is its assignee)."""
    actor.require_operator()
    now = now or utcnow()
    assignee: str | None
    if task is None:
        found = (await session.execute(_CARD_TASK, {"number": number})).first()
        if found is None:
            raise TaskNotFound(number=number)
        task, assignee = found
    elif task.assignee_id is not None and task.assignee_id == actor.id:
        assignee = actor.name  # the caller took it (a status change, a comment of theirs)
    else:
        assignee = (
            await session.scalar(_OPERATOR_NAME, {"operator_id": task.assignee_id})
            if task.assignee_id is not None
            else None
        )
    # after a write's commit a read of its own (on PostgreSQL no BEGIN and ROLLBACK)
    lists = await read_first(session, _CARD_LISTS_READ, {"task_id": task.id})
    return _card(
        task,
        assignee,
        [
            TaskCommentView(id=int(cid), author=author, text=text, created_at=utc(at))
            for cid, author, text, at in rows_from_json(lists.comments)
        ],
        [
            TaskEventView(at=utc(at), actor=who, kind=kind, details=_details(details))
            for at, who, kind, details in rows_from_json(lists.history)
        ],
        now,
    )


async def list_tasks(
    session: AsyncSession,
    actor: Principal,
    *,
    queue: str | None = None,
    statuses: Sequence[str] = (),
    customer_id: int | None = None,
    assignee_id: int | None = None,
    overdue_only: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    newest_first: bool = False,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[int, list[TaskSummary]]:
    """A page of tasks, by deadline (the nearest first; ``newest_first``: by creation)."""
    actor.require_operator()
    now = now or utcnow()
    where: list[Any] = []
    if created_from is not None:
        where.append(Task.created_at >= created_from)
    if created_to is not None:
        where.append(Task.created_at < created_to)
    if queue is not None:
        where.append(Task.queue == queue)
    if statuses:
        where.append(Task.status.in_(list(statuses)))
    if customer_id is not None:
        where.append(Task.customer_id == customer_id)
    if assignee_id is not None:
        where.append(Task.assignee_id == assignee_id)
    if overdue_only:
        where.append(Task.deadline_at < now)
        where.append(Task.status.in_(["new", "in_progress", "waiting"]))
    total = await session.scalar(select(func.count()).select_from(Task).where(*where))
    # the page's ids first, sorted on the index alone (no row is read to be sorted away),
    # then those rows: 100 000 tasks cost a sort of small keys, not of whole rows
    order = (
        (Task.created_at.desc(), Task.id.desc())
        if newest_first
        else (Task.deadline_at.asc(), Task.id.asc())
    )
    ids = list(
        await session.scalars(
            select(Task.id).where(*where).order_by(*order).limit(limit).offset(offset)
        )
    )
    if not ids:
        return int(total or 0), []
    rows = await session.execute(
        select(Task, Operator.full_name)
        .outerjoin(Operator, Operator.id == Task.assignee_id)
        .where(Task.id.in_(ids))
    )
    found = {t.id: (t, name) for t, name in rows}
    page = [found[i] for i in ids if i in found]
    return int(total or 0), [TaskSummary(**_summary(t, name, now)) for t, name in page]


class QueueLoad(BaseModel):
    path: str
    open: int  # new, in progress or waiting
    overdue: int  # of those, past the deadline


async def queue_loads(
    session: AsyncSession, actor: Principal, *, now: datetime | None = None
) -> dict[str, QueueLoad]:
    """Open and overdue tasks per queue: one grouped query over the (queue, status,
    deadline) index."""
    actor.require_operator()
    now = now or utcnow()
    open_statuses = [str(s) for s in rules.TaskStatus if not rules.is_terminal(s)]
    rows = await session.execute(
        select(
            Task.queue,
            func.count(),
            func.sum(case((Task.deadline_at < now, 1), else_=0)),
        )
        # the known queues spelt out: each (queue, open status) is a range of the index,
        # so the done and rejected tasks (most of them) are never read
        .where(Task.queue.in_(list(rules.QUEUES)), Task.status.in_(open_statuses))
        .group_by(Task.queue)
    )
    return {
        queue: QueueLoad(path=queue, open=int(n), overdue=int(late or 0)) for queue, n, late in rows
    }


def _require_worker(actor: Principal) -> None:
    actor.require_operator(*WORKER_ROLES)


async def change_status(
    session: AsyncSession,
    actor: Principal,
    number: str,
    status: str,
    *,
    comment: str | None = None,
    outcome: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Move a task along new → in_progress → waiting → done | rejected (domain.tasks). A task
    that ends records its outcome (``domain.task_outcomes``: required where the queue has
    typed ones), which changes the data and reaches the customer in the same transaction
    (:mod:`.task_outcomes`)."""
    _require_worker(actor)
    now = now or utcnow()
    try:
        target = rules.TaskStatus(status)
    except ValueError:
        raise InvalidTaskStatus() from None
    try:
        asked = TaskOutcome(outcome) if outcome is not None else None
    except ValueError:
        raise InvalidTaskOutcome() from None
    task = await _load(session, number, lock=True)
    source = rules.TaskStatus(task.status)
    try:
        rules.transition(source, target)
    except rules.InvalidTransition as exc:
        raise InvalidTransition(reason=str(exc)) from None
    if target is rules.TaskStatus.REJECTED and not (comment and comment.strip()):
        raise ReasonRequired()
    ended = _outcome(task.queue, target, asked)
    changes: dict[str, Any] = {"status": str(target), "updated_at": now}
    if target is rules.TaskStatus.IN_PROGRESS and task.assignee_id is None:
        changes["assignee_id"] = int(actor.id)
    if rules.is_terminal(target):
        changes["closed_at"] = now
    # the change, its history event, the comment if any and the audit's entry: on
    # PostgreSQL one statement after the row's lock
    followers = [_history(actor, "status", now, source=str(source), target=str(target))]
    if comment and comment.strip():
        followers.append(_comment(actor, _clean_text(comment, "Комментарий", MAX_TEXT), now))
    followers.append(
        audit.follower(
            actor,
            "task.status",
            entity_kind="task",
            id_from="number",
            source=str(source),
            target=str(target),
            outcome=str(ended) if ended else None,
        )
    )
    changing = update_by_id(_TASKS, tuple(changes), prefix="b_", returning=True)
    parameters = {"b_id": task.id} | {f"b_{k}": v for k, v in changes.items()}
    await execute_followed(session, changing, parameters, followers)
    for name, value in changes.items():
        set_committed_value(task, name, value)
    if ended is not None:
        await task_outcomes.apply_outcome(session, actor, task, ended, now)
        await task_outcomes.tell_customer(session, task, ended)
    await webhooks.emit(
        session,
        WebhookEvent.TASK_CHANGED,
        lambda: task_data(task, "status", source=str(source), target=str(target)),
    )
    await task_live.announce(session, "status", [task], actor=actor)
    await session.commit()
    return task


def _outcome(queue: str, target: rules.TaskStatus, asked: TaskOutcome | None) -> TaskOutcome | None:
    try:
        return outcome_for(queue, target, asked)
    except OutcomeRequiredRule as exc:
        allowed = " или ".join(f"«{OUTCOME_TITLES_RU[o]}» ({o})" for o in exc.allowed)
        raise OutcomeRequired(allowed=allowed) from None
    except OutcomeNotAllowedRule as exc:
        if not exc.allowed:
            reason = "итог указывают, когда задача выполнена или отклонена."
        else:
            reason = (
                "возможны "
                + ", ".join(f"«{OUTCOME_TITLES_RU[o]}» ({o})" for o in exc.allowed)
                + "."
            )
        raise OutcomeNotAllowed(reason=reason) from None


async def assign_task(
    session: AsyncSession,
    actor: Principal,
    number: str,
    operator_login: str | None,
    *,
    now: datetime | None = None,
) -> Task:
    """Give a task to a back-office agent (or take it back to the queue with None)."""
    _require_worker(actor)
    now = now or utcnow()
    task = await _load(session, number, lock=True)
    if rules.is_terminal(rules.TaskStatus(task.status)):
        raise TaskClosed()
    assignee_id = None
    if operator_login is not None:
        operator = await session.scalar(select(Operator).where(Operator.login == operator_login))
        if operator is None or not operator.is_active:
            raise StaffMemberNotFound(login=operator_login)
        roles = set(
            await session.scalars(
                select(OperatorRole.role).where(OperatorRole.operator_id == operator.id)
            )
        )
        if not roles & {Role.BACKOFFICE, Role.SUPERVISOR, Role.ADMIN}:
            raise NotBackofficeAgent()
        assignee_id = operator.id
    await _set(session, task, assignee_id=assignee_id, updated_at=now)
    await _write_event(session, task, actor, "assigned", now, assignee=operator_login)
    await audit.write(
        session,
        actor,
        "task.assigned",
        entity_kind="task",
        entity_id=task.number,
        assignee=operator_login,
    )
    await webhooks.emit(
        session,
        WebhookEvent.TASK_CHANGED,
        lambda: task_data(task, "assigned", assignee=operator_login),
    )
    await task_live.announce(session, "assigned", [task], actor=actor)
    await session.commit()
    return task


async def add_comment(
    session: AsyncSession, actor: Principal, number: str, text: str, *, now: datetime | None = None
) -> Task:
    """A comment on the task, in its history too. → the task (for its card)."""
    actor.require_operator()
    now = now or utcnow()
    cleaned = _clean_text(text, "Комментарий", MAX_TEXT)
    # the task touched, the comment and the history's event: on PostgreSQL one statement,
    # alone (no BEGIN and COMMIT), where the session has begun nothing
    await statement_alone(session)
    row = await execute_followed(
        session,
        _TOUCH_TASK,
        {"b_number": number, "b_updated_at": now},
        (_comment(actor, cleaned, now), _history(actor, "comment", now)),
    )
    if row is None:  # (nothing written)
        raise TaskNotFound(number=number)
    task = adopt_row(session, Task, row)
    await session.commit()
    return task
