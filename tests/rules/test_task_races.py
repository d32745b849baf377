"""Two back-office workers change one task at the same moment: the second decides on what
the first wrote (PostgreSQL: the row lock of ``SELECT … FOR UPDATE``; SQLite: the write lock,
which that read takes), so a move is made once, not twice from the same state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services import tasks
from marketdesk.services.errors import InvalidTransition
from marketdesk.services.principals import Principal
from marketdesk.store.db import Database
from marketdesk.store.models import Operator, OperatorRole, TaskEvent

QUEUE = "Жалобы"


async def _principal(database: Database, login: str) -> Principal:
    async with database.sessions() as session:
        operator = await session.scalar(select(Operator).where(Operator.login == login))
        assert operator is not None
        roles = await session.scalars(
            select(OperatorRole.role).where(OperatorRole.operator_id == operator.id)
        )
        return Principal("operator", operator.id, operator.full_name, frozenset(roles))


def test_two_status_changes_at_once_move_the_task_once(
    demo_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    load = tasks._load

    async def slow_load(session: Any, number: str, *, lock: bool = False) -> Any:
        task = await load(session, number, lock=lock)
        await asyncio.sleep(0.05)  # the other worker reads meanwhile, unless it waits
        return task

    async def main() -> tuple[list[str], list[str]]:
        database = Database(demo_db.url)
        try:
            worker = await _principal(database, "backoffice")
            async with database.sessions() as session:
                task = await tasks.create_task(session, worker, queue=QUEUE, title="Гонка")
                await tasks.change_status(session, worker, task.number, "in_progress")
            monkeypatch.setattr(tasks, "_load", slow_load)

            async def to_waiting() -> str:
                async with database.sessions() as session:
                    try:
                        await tasks.change_status(session, worker, task.number, "waiting")
                    except InvalidTransition:
                        return "refused"
                    return "moved"

            outcomes = await asyncio.gather(to_waiting(), to_waiting())
            async with database.sessions() as session:
                kinds = list(
                    await session.scalars(
                        select(TaskEvent.kind)
                        .where(TaskEvent.task_id == task.id)
                        .order_by(TaskEvent.id)
                    )
                )
            return sorted(outcomes), kinds
        finally:
            await database.dispose()

    outcomes, kinds = asyncio.run(main())
    assert outcomes == ["moved", "refused"]
    assert kinds == ["created", "status", "status"]  # in_progress, then waiting once
