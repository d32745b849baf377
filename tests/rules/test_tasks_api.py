"""Back-office tasks: queues, statuses, comments, history, rights, escalation by deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.services.task_escalation import escalate_overdue
from marketdesk.store.models import StaffNotice, Task
from tests.conftest import auth, run_db
from tests.errors import assert_error

DESCRIPTION_QUEUE = "Ошибка описания"


def create(client, token, **fields):
    body = {"queue": DESCRIPTION_QUEUE, "title": "Неверный вес в карточке", **fields}
    return client.post("/api/v1/tasks", json=body, headers=auth(token))


def test_create_and_find_in_its_queue(client, tokens):
    response = create(
        client,
        tokens["operator"],
        customer_id=61000002,
        product_id=235260644,
        order_number="61000002-0001",
        description="Клиент пишет: вес 60 г неверен",
    )
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["number"].startswith("CTASK-")
    assert task["status"] == "new" and task["status_title"] == "Новая"
    assert task["deadline_at"] is not None and task["overdue"] is False
    assert [e["kind"] for e in task["history"]] == ["created"]
    page = client.get(
        "/api/v1/tasks", params={"queue": DESCRIPTION_QUEUE}, headers=auth(tokens["backoffice"])
    ).json()
    assert task["number"] in [t["number"] for t in page["tasks"]]
    card = client.get("/api/v1/customers/61000002", headers=auth(tokens["operator"])).json()
    assert task["number"] in [t["number"] for t in card["active_tasks"]]


def test_the_new_tasks_card_is_the_card_read_back(client, tokens):
    """POST answers with a card built from what it wrote (no read back): it must be the card
    GET gives, field for field, the history's author and time included."""
    created = create(
        client,
        tokens["operator"],
        customer_id=61000002,
        order_number="61000002-0001",
        priority="high",
        description="Клиент пишет: вес 60 г неверен",
    )
    assert created.status_code == 201, created.text
    answered = created.json()
    read = client.get(f"/api/v1/tasks/{answered['number']}", headers=auth(tokens["operator"]))
    assert read.status_code == 200, read.text
    assert answered == read.json()
    assert answered["history"][0]["actor"] and answered["comments"] == []


def test_cards_after_a_write_name_the_assignee_whoever_wrote(client, tokens):
    """The card a status change or a comment answers with takes the assignee's name from
    the caller when the caller is the assignee, and reads it otherwise: either way it is
    the card GET gives."""
    number = create(client, tokens["operator"]).json()["number"]
    taken = client.post(
        f"/api/v1/tasks/{number}/status",
        json={"status": "in_progress"},
        headers=auth(tokens["backoffice"]),
    ).json()
    by_other = client.post(
        f"/api/v1/tasks/{number}/comments",
        json={"text": "Проверила по складу"},
        headers=auth(tokens["supervisor"]),
    )
    assert by_other.status_code == 201, by_other.text
    by_assignee = client.post(
        f"/api/v1/tasks/{number}/comments",
        json={"text": "Спасибо, закрываю"},
        headers=auth(tokens["backoffice"]),
    ).json()
    read = client.get(f"/api/v1/tasks/{number}", headers=auth(tokens["supervisor"])).json()
    assert taken["assignee"] == by_other.json()["assignee"] == read["assignee"]
    assert read["assignee"] == "Петров Алексей"
    assert by_assignee == read
    assert [c["text"] for c in read["comments"]] == ["Проверила по складу", "Спасибо, закрываю"]


def test_status_flow_comments_and_history(client, tokens):
    number = create(client, tokens["operator"], product_id=235260644).json()["number"]
    worker = auth(tokens["backoffice"])
    taken = client.post(
        f"/api/v1/tasks/{number}/status", json={"status": "in_progress"}, headers=worker
    ).json()
    assert taken["status"] == "in_progress" and taken["assignee"] == "Петров Алексей"
    client.post(
        f"/api/v1/tasks/{number}/comments",
        json={"text": "Запросили данные у склада"},
        headers=worker,
    )
    client.post(f"/api/v1/tasks/{number}/status", json={"status": "waiting"}, headers=worker)
    done = client.post(
        f"/api/v1/tasks/{number}/status",
        json={"status": "done", "comment": "Вес исправлен", "outcome": "corrected"},
        headers=worker,
    ).json()
    assert done["status"] == "done"
    assert [c["text"] for c in done["comments"]] == ["Запросили данные у склада", "Вес исправлен"]
    assert [e["kind"] for e in done["history"]] == [
        "created",
        "status",
        "comment",
        "status",
        "status",
    ]
    reopened = client.post(
        f"/api/v1/tasks/{number}/status", json={"status": "in_progress"}, headers=worker
    )
    assert_error(reopened, 409, "invalid_transition")


def test_rejection_needs_a_reason(client, tokens):
    number = create(client, tokens["operator"]).json()["number"]
    worker = auth(tokens["backoffice"])
    client.post(f"/api/v1/tasks/{number}/status", json={"status": "in_progress"}, headers=worker)
    response = client.post(
        f"/api/v1/tasks/{number}/status", json={"status": "rejected"}, headers=worker
    )
    assert_error(response, 422, "reason_required")


def test_new_cannot_jump_to_done(client, tokens):
    number = create(client, tokens["operator"]).json()["number"]
    response = client.post(
        f"/api/v1/tasks/{number}/status",
        json={"status": "done"},
        headers=auth(tokens["supervisor"]),
    )
    assert response.status_code == 409


def test_assignment_only_to_back_office(client, tokens):
    number = create(client, tokens["operator"]).json()["number"]
    sup = auth(tokens["supervisor"])
    ok = client.post(f"/api/v1/tasks/{number}/assign", json={"login": "backoffice"}, headers=sup)
    assert ok.status_code == 200 and ok.json()["assignee"] == "Петров Алексей"
    bad = client.post(f"/api/v1/tasks/{number}/assign", json={"login": "operator"}, headers=sup)
    assert_error(bad, 422, "not_a_backoffice_agent")
    ghost = client.post(f"/api/v1/tasks/{number}/assign", json={"login": "ghost"}, headers=sup)
    assert ghost.status_code == 404


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"queue": "Куда-нибудь"}, 422, "unknown_queue"),
        ({"title": "   "}, 422, "empty_text"),
        ({"customer_id": 1}, 404, "link_not_found"),
        ({"product_id": 1}, 404, "link_not_found"),
        ({"order_number": "1-0001"}, 404, "link_not_found"),
        ({"priority": "highest"}, 422, "validation_error"),
        ({"title": "x" * 301}, 422, "validation_error"),
        ({"surprise": 1}, 422, "validation_error"),
    ],
)
def test_bad_task_input(client, tokens, fields, status, code):
    response = create(client, tokens["operator"], **fields)
    assert_error(response, status, code)


@pytest.mark.parametrize("priority", ["low", "normal", "high", "urgent"])
def test_every_priority_the_database_allows_is_accepted(client, tokens, priority):
    """«urgent» was allowed by the database but refused by the API (issue 19)."""
    response = create(client, tokens["operator"], priority=priority)
    assert response.status_code == 201, response.text
    assert response.json()["priority"] == priority


@pytest.mark.parametrize("number", ["CTASK-9999999", "CTASK-1", "drop table", "CTASK-0000001x"])
def test_unknown_or_malformed_number(client, tokens, number):
    response = client.get(f"/api/v1/tasks/{number}", headers=auth(tokens["operator"]))
    assert response.status_code == (404 if number == "CTASK-9999999" else 422)


@pytest.mark.parametrize(
    ("who", "create_status", "work_status"),
    [
        ("operator", 201, 403),
        ("backoffice", 201, 200),
        ("supervisor", 201, 200),
        ("admin", 201, 200),
        ("customer", 403, 403),
        ("visitor", 403, 403),
        (None, 401, 401),
    ],
)
def test_access(client, tokens, who, create_status, work_status):
    headers = auth(tokens[who]) if who else {}
    assert create(client, tokens[who] if who else "nope").status_code == create_status
    number = create(client, tokens["operator"]).json()["number"]
    response = client.post(
        f"/api/v1/tasks/{number}/status", json={"status": "in_progress"}, headers=headers
    )
    assert response.status_code == work_status


def test_deadline_passing_escalates_once_and_notifies_supervisors(client, tokens, demo_db):
    task = create(client, tokens["operator"], title="Срочно проверить описание").json()
    number = task["number"]

    async def deadline(session):
        row = await session.scalar(select(Task).where(Task.number == number))
        return row.deadline_at

    due = run_db(demo_db, deadline)

    before = run_db(demo_db, lambda s: escalate_overdue(s, now=due))  # exactly at: not overdue
    assert number not in before
    after = run_db(demo_db, lambda s: escalate_overdue(s, now=due + timedelta(seconds=1)))
    assert number in after
    again = run_db(demo_db, lambda s: escalate_overdue(s, now=due + timedelta(hours=5)))
    assert number not in again  # once

    async def notices(session):
        rows = await session.scalars(select(StaffNotice).where(StaffNotice.role == "supervisor"))
        return [n.text for n in rows]

    assert any(number in text for text in run_db(demo_db, notices))
    seen = client.get("/api/v1/notices", headers=auth(tokens["supervisor"])).json()["notices"]
    assert number in [n["task_number"] for n in seen]
    card = client.get(f"/api/v1/tasks/{number}", headers=auth(tokens["operator"])).json()
    assert card["escalated_at"] is not None
    assert card["history"][-1]["kind"] == "escalated"
    operator_notices = client.get("/api/v1/notices", headers=auth(tokens["operator"])).json()
    assert number not in [n["task_number"] for n in operator_notices["notices"]]


def test_an_escalation_is_published_to_the_supervisors_and_the_assignee(client, tokens, demo_db):
    """The SLA timer's round ends with one ``task_escalated`` frame on the operator channels
    of the supervisors and admins and of the task's assignee, never of other operators."""
    number = create(client, tokens["operator"], title="Эскалация вживую").json()["number"]
    assigned = client.post(
        f"/api/v1/tasks/{number}/assign",
        json={"login": "backoffice"},
        headers=auth(tokens["supervisor"]),
    )
    assert assigned.status_code == 200, assigned.text
    me = {
        who: int(client.get("/api/v1/auth/me", headers=auth(tokens[who])).json()["id"])
        for who in ("operator", "backoffice", "supervisor", "admin")
    }

    async def deadline(session):
        row = await session.scalar(select(Task).where(Task.number == number))
        return row.deadline_at

    due = run_db(demo_db, deadline)
    published: list[tuple[list[str], dict]] = []

    async def publish(channels, event):
        published.append((list(channels), event))

    numbers = run_db(
        demo_db,
        lambda s: escalate_overdue(s, now=due + timedelta(seconds=1), publish=publish),
    )
    assert number in numbers
    escalated = [(c, f) for c, f in published if f["type"] == "task_escalated"]
    assert len(escalated) == 1  # the other workers hear a tasks_changed (test_tasks_live)
    channels, frame = escalated[0]
    assert frame["type"] == "task_escalated"
    assert frame["count"] == len(numbers)
    mine = [t for t in frame["tasks"] if t["number"] == number]
    assert mine and mine[0]["title"] == "Эскалация вживую"
    assert mine[0]["assignee_id"] == me["backoffice"]
    assert frame["queues"][DESCRIPTION_QUEUE] >= 1
    assert frame["text"].startswith("Срок задачи " if len(numbers) == 1 else "Истёк срок задач (")
    for who in ("backoffice", "supervisor", "admin"):
        assert f"operator:{me[who]}" in channels, who
    assert f"operator:{me['operator']}" not in channels
    quiet = run_db(
        demo_db, lambda s: escalate_overdue(s, now=due + timedelta(hours=1), publish=publish)
    )
    again = [f for _c, f in published if f["type"] == "task_escalated"]
    assert number not in quiet and len(again) == 1 + (1 if quiet else 0)


def test_queues_are_listed(client, tokens):
    queues = client.get("/api/v1/tasks/queues", headers=auth(tokens["operator"])).json()["queues"]
    assert {FRAUD_QUEUE, DESCRIPTION_QUEUE} <= {q["path"] for q in queues}


def test_queue_loads_and_the_workspace_filters(client, tokens):
    """Open and overdue counts per queue; the list by assignee, creation date and order."""
    from datetime import datetime

    from marketdesk.domain.tasks import MOSCOW_TZ

    worker = auth(tokens["backoffice"])
    queue = "Обращения на контроле"
    before = {
        q["path"]: q for q in client.get("/api/v1/tasks/queues", headers=worker).json()["queues"]
    }[queue]
    first = create(client, tokens["operator"], queue=queue, title="Первая").json()["number"]
    second = create(client, tokens["operator"], queue=queue, title="Вторая").json()["number"]
    client.post(f"/api/v1/tasks/{second}/status", json={"status": "in_progress"}, headers=worker)
    after = {
        q["path"]: q for q in client.get("/api/v1/tasks/queues", headers=worker).json()["queues"]
    }[queue]
    assert after["open"] == before["open"] + 2 and after["overdue"] == before["overdue"]

    me = client.get("/api/v1/auth/me", headers=worker).json()["id"]
    mine = client.get(
        "/api/v1/tasks", params={"queue": queue, "assignee": me}, headers=worker
    ).json()
    numbers = [t["number"] for t in mine["tasks"]]
    assert second in numbers and first not in numbers

    today = datetime.now(MOSCOW_TZ).date().isoformat()  # the filter's days are Moscow's
    newest = client.get(
        "/api/v1/tasks",
        params={"queue": queue, "created_from": today, "created_to": today, "sort": "newest"},
        headers=worker,
    ).json()["tasks"]
    assert [t["number"] for t in newest[:2]] == [second, first]
    none_yet = client.get(
        "/api/v1/tasks", params={"queue": queue, "created_to": "2020-01-01"}, headers=worker
    ).json()
    assert none_yet["total"] == 0


def test_a_new_task_goes_alone_where_no_webhook_wants_it(client, tokens, demo_db, monkeypatch):
    """A task, its first event and its audit entry are one statement on PostgreSQL, which
    goes alone (autocommit: no ``BEGIN`` and ``COMMIT``) where no subscription wants
    ``task.created`` (as the process keeps them) and nothing else is written (no
    conversation's note); on SQLite a transaction as ever. The card's history and the audit
    entry are there all the same."""
    from marketdesk.services.webhooks import outbox
    from marketdesk.store.models import AuditEntry, TaskEvent, WebhookSubscription

    went = _watch_alone(monkeypatch)
    monkeypatch.setattr(outbox._active, "seconds", 60.0)  # kept through the test
    assert create(client, tokens["operator"]).status_code == 201  # keeps the subscriptions
    made = create(client, tokens["operator"], description="вторая")
    assert made.status_code == 201, made.text
    number = made.json()["number"]

    async def read(session):
        wanted = any(
            "task.created" in (events or ())
            for events in await session.scalars(
                select(WebhookSubscription.events).where(WebhookSubscription.active.is_(True))
            )
        )
        task_id = await session.scalar(select(Task.id).where(Task.number == number))
        kinds = list(
            await session.scalars(select(TaskEvent.kind).where(TaskEvent.task_id == task_id))
        )
        audited = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == number))
        )
        return wanted, kinds, audited

    wanted, kinds, audited = run_db(demo_db, read)
    if demo_db.backend == "postgresql":
        assert went[-1] is not wanted
    else:  # one writer: a transaction as ever, not even asked
        assert went == []
    assert kinds == ["created"] and audited == ["task.created"]
    assert [e["kind"] for e in made.json()["history"]] == ["created"]


def test_a_new_task_goes_alone_when_the_process_keeps_no_subscriptions(
    client, tokens, demo_db, monkeypatch
):
    """With no subscriptions kept (forgotten, or their second run out), the task's creation
    reads them first, without a ``BEGIN`` (the session's connection before its
    transaction), and still goes alone where none wants ``task.created``: until
    2026-12-07 it took the transaction's way until another write had read them."""
    import asyncio

    from marketdesk.services.webhooks import outbox
    from marketdesk.store.models import WebhookSubscription

    went = _watch_alone(monkeypatch)
    monkeypatch.setattr(outbox._active, "seconds", 60.0)
    reads: list[int] = []
    real = outbox.read_all

    async def counted(session, query, parameters):
        reads.append(1)
        return await real(session, query, parameters)

    monkeypatch.setattr(outbox, "read_all", counted)
    asyncio.run(outbox.forget_subscriptions())
    assert create(client, tokens["operator"]).status_code == 201
    assert create(client, tokens["operator"], description="вторая").status_code == 201

    async def wanted(session):
        return any(
            "task.created" in (events or ())
            for events in await session.scalars(
                select(WebhookSubscription.events).where(WebhookSubscription.active.is_(True))
            )
        )

    if demo_db.backend == "postgresql":
        alone = not run_db(demo_db, wanted)
        assert went == [alone, alone]
    else:  # one writer: a transaction as ever, not even asked
        assert went == []
    # read once, kept for the second (SQLite's way never asks: no statement goes alone)
    assert reads == ([1] if demo_db.backend == "postgresql" else [])


def test_a_comment_is_one_statement_with_its_event_alone_on_postgresql(
    client, tokens, demo_db, monkeypatch
):
    """A task's comment, its history event and the task's ``updated_at`` are written by one
    statement on PostgreSQL, alone (no ``BEGIN`` and ``COMMIT``); a comment on a task that
    does not exist is a 404 and writes nothing."""
    went = _watch_alone(monkeypatch)
    number = create(client, tokens["operator"]).json()["number"]
    went.clear()
    said = client.post(
        f"/api/v1/tasks/{number}/comments",
        json={"text": "Проверила по складу"},
        headers=auth(tokens["backoffice"]),
    )
    assert said.status_code == 201, said.text
    assert went == [demo_db.backend == "postgresql"]
    card = said.json()
    assert [c["text"] for c in card["comments"]] == ["Проверила по складу"]
    assert [e["kind"] for e in card["history"]] == ["created", "comment"]

    async def times(session):
        return (
            await session.execute(
                select(Task.created_at, Task.updated_at).where(Task.number == number)
            )
        ).one()

    created_at, updated_at = run_db(demo_db, times)
    assert updated_at > created_at  # touched by the comment
    before = run_db(demo_db, _counts)
    missing = client.post(
        "/api/v1/tasks/CTASK-9999999/comments",
        json={"text": "в никуда"},
        headers=auth(tokens["backoffice"]),
    )
    assert_error(missing, 404, "task_not_found")
    assert run_db(demo_db, _counts) == before


async def _counts(session):
    from sqlalchemy import func

    from marketdesk.store.models import TaskComment, TaskEvent

    return (
        await session.scalar(select(func.count()).select_from(TaskComment)),
        await session.scalar(select(func.count()).select_from(TaskEvent)),
    )


def test_a_status_change_writes_its_event_comment_and_audit_entry_together(client, tokens, demo_db):
    """A status change with a comment: the task's row, its history event, the comment and the
    audit entry (source, target, outcome) are written together (on PostgreSQL one statement
    after the row's lock)."""
    from marketdesk.store.models import AuditEntry, TaskComment, TaskEvent

    number = create(client, tokens["operator"]).json()["number"]
    moved = client.post(
        f"/api/v1/tasks/{number}/status",
        json={"status": "in_progress", "comment": "Беру в работу"},
        headers=auth(tokens["backoffice"]),
    )
    assert moved.status_code == 200, moved.text
    card = moved.json()
    assert card["status"] == "in_progress" and card["assignee"]
    assert [c["text"] for c in card["comments"]] == ["Беру в работу"]
    assert [e["kind"] for e in card["history"]] == ["created", "status"]

    async def read(session):
        task = await session.scalar(select(Task).where(Task.number == number))
        events = list(
            await session.scalars(
                select(TaskEvent.details).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
            )
        )
        said = list(
            await session.scalars(select(TaskComment.text).where(TaskComment.task_id == task.id))
        )
        entries = list(
            await session.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.entity_id == number, AuditEntry.action == "task.status"
                )
            )
        )
        return task.status, task.assignee_id, events, said, entries

    status, assignee_id, events, said, entries = run_db(demo_db, read)
    assert status == "in_progress" and assignee_id is not None
    assert events[-1] == {"source": "new", "target": "in_progress"}
    assert said == ["Беру в работу"]
    assert entries == [{"source": "new", "target": "in_progress", "outcome": None}]


def _watch_alone(monkeypatch) -> list[bool]:
    """What each ``statement_alone`` of the tasks' use cases answered, in order (a new
    task's through ``webhooks.alone_where_unwanted``)."""
    from marketdesk.services import tasks as task_service
    from marketdesk.services.webhooks import outbox

    went: list[bool] = []
    real = task_service.statement_alone

    async def watched(session):
        went.append(await real(session))
        return went[-1]

    monkeypatch.setattr(task_service, "statement_alone", watched)
    monkeypatch.setattr(outbox, "statement_alone", watched)
    return went
