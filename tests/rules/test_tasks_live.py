"""The back-office queues, live: the ``tasks_changed`` frame after a task is created, moved,
reassigned or escalated — to the back-office workers, supervisors and admins only, and only
once the change is stored."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketdesk.services import task_escalation, tasks
from marketdesk.services.chat.events import set_default_publisher
from marketdesk.services.principals import Principal
from marketdesk.store.db import Database
from marketdesk.store.models import Operator, OperatorRole, Task
from tests.conftest import auth

QUEUE = "Жалобы"  # its demo task is nobody's
Published = list[tuple[list[str], dict[str, Any]]]


def _me(client, tokens) -> dict[str, int]:
    return {
        who: int(client.get("/api/v1/auth/me", headers=auth(tokens[who])).json()["id"])
        for who in ("operator", "backoffice", "supervisor", "admin")
    }


def _frames(ws, number: str) -> dict[str, Any]:
    """The next ``tasks_changed`` frame about ``number`` on an operator socket."""
    while True:
        frame = ws.receive_json()
        if frame["type"] == "tasks_changed" and number in frame["tasks"]:
            return frame


def test_a_worker_hears_of_a_new_task_and_of_its_moves(client, tokens):
    """A back-office worker's socket: the operator's new task, then the supervisor's move,
    each a frame naming the queue, the task and who did it."""
    me = _me(client, tokens)
    with client.websocket_connect("/ws/operator") as ws:
        ws.send_json({"type": "auth", "token": tokens["backoffice"]})
        assert ws.receive_json()["type"] == "ready"
        created = client.post(
            "/api/v1/tasks",
            json={"queue": QUEUE, "title": "Проверить вживую"},
            headers=auth(tokens["operator"]),
        )
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        frame = _frames(ws, number)
        assert frame["change"] == "created" and frame["queues"] == [QUEUE]
        assert frame["count"] == 1 and frame["actor_id"] == me["operator"]
        taken = client.post(
            f"/api/v1/tasks/{number}/status",
            json={"status": "in_progress"},
            headers=auth(tokens["supervisor"]),
        )
        assert taken.status_code == 200, taken.text
        frame = _frames(ws, number)
        assert frame["change"] == "status" and frame["actor_id"] == me["supervisor"]
        given = client.post(
            f"/api/v1/tasks/{number}/assign",
            json={"login": "backoffice"},
            headers=auth(tokens["supervisor"]),
        )
        assert given.status_code == 200, given.text
        assert _frames(ws, number)["change"] == "assigned"
    assert set(frame) == {"type", "change", "count", "queues", "tasks", "actor_id"}  # no data


def _run(demo_db, work):
    """``await work(session, published)`` in a database whose application publisher records
    what it is asked to publish."""
    published: Published = []

    async def publish(channels, event):
        published.append((list(channels), event))

    async def main():
        database = Database(demo_db.url)
        set_default_publisher(database.sessions, publish)
        try:
            async with database.sessions() as session:
                return await work(session, published)
        finally:
            await database.dispose()

    return asyncio.run(main())


async def _principal(session, login: str) -> Principal:
    operator = await session.scalar(select(Operator).where(Operator.login == login))
    roles = await session.scalars(
        select(OperatorRole.role).where(OperatorRole.operator_id == operator.id)
    )
    return Principal("operator", operator.id, operator.full_name, frozenset(roles))


def test_the_frame_goes_to_the_workers_and_to_nobody_else(client, tokens, demo_db):
    """Every kind of user: back office, supervisors and admins hear of it on their own
    operator channels; a chat operator does not; customers, visitors, sellers and anonymous
    sockets never subscribe to an operator channel, and the frame goes to nothing else."""
    me = _me(client, tokens)

    async def work(session, published: Published):
        actor = await _principal(session, "operator")
        task = await tasks.create_task(session, actor, queue=QUEUE, title="Кому слышно")
        # the sellers' line operator (the seller kind of user) and the Travel line's
        others = await session.scalars(
            select(Operator.id).where(Operator.login.in_(["sellers", "travel"]))
        )
        return task.number, list(published), sorted(others)

    number, published, others = _run(demo_db, work)
    assert len(others) == 2
    frames = [(c, f) for c, f in published if f["type"] == "tasks_changed"]
    assert len(frames) == 1
    channels, frame = frames[0]
    assert frame["tasks"] == [number]
    assert all(c.startswith("operator:") for c in channels)
    for who in ("backoffice", "supervisor", "admin"):
        assert f"operator:{me[who]}" in channels, who
    for chat_only in [me["operator"], *others]:
        assert f"operator:{chat_only}" not in channels


def test_nothing_is_published_before_the_commit_or_after_a_rollback(demo_db):
    async def work(session, published: Published):
        actor = await _principal(session, "backoffice")
        task = await tasks.create_task(session, actor, queue=QUEUE, title="Откатится", commit=False)
        assert published == []  # registered, not sent: nothing is stored yet
        number = task.number
        await session.rollback()
        assert await session.scalar(select(Task).where(Task.number == number)) is None
        moved = await tasks.create_task(session, actor, queue=QUEUE, title="Сохранится")
        return number, moved.number, list(published)

    rolled_back, stored, published = _run(demo_db, work)
    frames = [f for _c, f in published if f["type"] == "tasks_changed"]
    # one frame: the stored task's (SQLite may give it the rolled-back one's number again)
    assert [f["tasks"] for f in frames] == [[stored]]
    assert rolled_back.startswith("CTASK-")


def test_an_escalation_tells_the_other_workers_by_a_tasks_changed_frame(client, tokens, demo_db):
    """The supervisors and the assignees hear ``task_escalated``; every other back-office
    worker hears that the counts changed, and nobody hears both."""
    me = _me(client, tokens)
    number = client.post(
        "/api/v1/tasks",
        json={"queue": QUEUE, "title": "Срок пройдёт"},
        headers=auth(tokens["operator"]),
    ).json()["number"]

    async def work(session, published: Published):
        due = await session.scalar(select(Task.deadline_at).where(Task.number == number))

        async def publish(channels, event):
            published.append((list(channels), event))

        found = await task_escalation.escalate_overdue(
            session, now=due + timedelta(seconds=1), publish=publish
        )
        return found, list(published)

    found, published = _run(demo_db, work)
    assert number in found
    by_type = {f["type"]: (set(c), f) for c, f in published}
    escalated, round_ = by_type["task_escalated"]
    assert round_["count"] == len(found) <= 50  # every task of the round is described
    assignees = {t["assignee_id"] for t in round_["tasks"]}
    changed, frame = by_type.get("tasks_changed", (set(), None))
    for who in ("backoffice", "supervisor", "admin"):  # each hears one of the two
        channel = f"operator:{me[who]}"
        told = who != "backoffice" or me[who] in assignees
        assert (channel in escalated, channel in changed) == (told, not told), who
    if frame is not None:
        assert frame["change"] == "escalated" and QUEUE in frame["queues"]
    assert f"operator:{me['operator']}" not in changed | escalated


def test_a_new_worker_hears_at_once_and_one_who_left_the_role_does_not(demo_db):
    """The workers are kept for a moment per process; the admin's changes of accounts are
    seen by the next task at once (the process forgets what it kept)."""
    from marketdesk.services import operators

    async def work(session, published: Published):
        admin = await _principal(session, "admin")
        actor = await _principal(session, "backoffice")
        await tasks.create_task(session, actor, queue=QUEUE, title="До нового сотрудника")
        new = await operators.create_operator(
            session,
            admin,
            login="backoffice-new",
            name="Новый Сотрудник",
            password="Пароль-надёжный-1",
            roles=["backoffice"],
            lines=[],
        )
        await tasks.create_task(session, actor, queue=QUEUE, title="С новым сотрудником")
        await operators.update_operator(
            session, admin, new.id, operators.StaffChange(roles=["operator"])
        )
        await tasks.create_task(session, actor, queue=QUEUE, title="Без него")
        return new.id, list(published)

    new_id, published = _run(demo_db, work)
    frames = [channels for channels, f in published if f["type"] == "tasks_changed"]
    assert len(frames) == 3
    channel = f"operator:{new_id}"
    assert [channel in channels for channels in frames] == [False, True, False]
