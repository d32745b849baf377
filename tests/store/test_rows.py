"""Rows inserted with one prepared statement (``store/rows.py``): the object is built from
what was stored (defaults included), is clean in the session, flushes later changes like any
object read, and leaves the session with a rollback; a row inserted without an object comes
back with its defaults and puts nothing into the session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy import event as sa_event

from marketdesk.store.db import Database
from marketdesk.store.models import AuditEntry, Task, TaskEvent, Visitor, utcnow
from marketdesk.store.models import Session as SessionRow
from marketdesk.store.rows import (
    Follower,
    insert_adopted,
    insert_numbered,
    insert_row,
    write_changes,
)
from tests.conftest import TestDatabase, backends, prepare


def _visitor_session(visitor_id: str, token_hash: str) -> dict[str, Any]:
    """A visitor's ``sessions`` row, by column (the rest: the columns' defaults)."""
    return {
        "token_hash": token_hash,
        "subject_kind": "visitor",
        "visitor_id": visitor_id,
        "expires_at": utcnow(),
    }


@pytest.mark.parametrize("backend", backends())
def test_an_inserted_row_is_adopted_and_leaves_with_a_rollback(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    database_info = make_database(backend)
    prepare(database_info.url, demo=False)

    async def main(url: str) -> None:
        database = Database(url)
        try:
            async with database.sessions() as session:
                visitor = await insert_adopted(session, Visitor, {"id": "v-rolled-back"})
                assert visitor.created_at is not None  # the column's default, as stored
                assert visitor in session and not session.new and not session.dirty
                await session.rollback()
                assert visitor not in session
                # the same identity again after the rollback: no stale object meets it
                again = await insert_adopted(session, Visitor, {"id": "v-rolled-back"})
                values = _visitor_session(again.id, "h" * 64)
                row = await insert_adopted(session, SessionRow, values)
                assert row.id is not None and row.revoked_at is None
                row.device = "later change"  # flushed like any object read
                await session.commit()
            async with database.sessions() as session:
                stored = await session.scalar(select(SessionRow).where(SessionRow.id == row.id))
                assert stored is not None and stored.device == "later change"
                assert await session.get(Visitor, "v-rolled-back") is not None
        finally:
            await database.dispose()

    asyncio.run(main(database_info.url))


@pytest.mark.parametrize("backend", backends())
def test_a_row_inserted_without_an_object_has_its_defaults_and_no_object(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    database_info = make_database(backend)
    prepare(database_info.url, demo=False)

    async def main(url: str) -> tuple[object, object]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                visitor = await insert_row(session, Visitor, {"id": "v-row"})
                row = await insert_row(session, SessionRow, _visitor_session(visitor.id, "r" * 64))
                assert visitor.created_at is not None  # the column's default, as stored
                assert row.id is not None and row.revoked_at is None and row.visitor_id == "v-row"
                assert not list(session.identity_map.values())  # no object made of either
                await session.commit()
            async with database.sessions() as session:
                stored = await session.get(SessionRow, row.id)
                return stored and stored.token_hash, await session.get(Visitor, "v-row")
        finally:
            await database.dispose()

    token_hash, visitor = asyncio.run(main(database_info.url))
    assert token_hash == "r" * 64
    assert visitor is not None


@pytest.mark.parametrize("backend", backends())
def test_changes_written_by_key_leave_the_object_clean_and_the_flush_idle(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    """``write_changes``: the changed columns in one ``UPDATE`` by the primary key; the object
    is clean after it (the commit writes nothing more), later changes are flushed as usual,
    and what the flush must do itself (a new object) is left to it."""
    database_info = make_database(backend)
    prepare(database_info.url, demo=False)

    async def main(url: str) -> tuple[list[str], str | None, str | None]:
        database = Database(url)
        statements: list[str] = []

        def record(_c: object, _cur: object, statement: str, *_rest: object) -> None:
            statements.append(" ".join(statement.split())[:40])

        try:
            async with database.sessions() as session:
                row = await insert_adopted(
                    session,
                    SessionRow,
                    {
                        "token_hash": "w" * 64,
                        "subject_kind": "visitor",
                        "visitor_id": (await insert_adopted(session, Visitor, {"id": "v-w"})).id,
                        "expires_at": utcnow(),
                    },
                )
                await session.commit()
                assert not await write_changes(session, row)  # nothing changed
                new = Visitor(id="v-new")
                session.add(new)
                assert not await write_changes(session, new)  # the flush's to insert
                await session.commit()
                sa_event.listen(database.engine.sync_engine, "before_cursor_execute", record)
                row.device = "written by key"
                row.revoked_at = utcnow()
                assert await write_changes(session, row)
                assert not session.dirty and not session.new
                await session.commit()  # nothing left to flush
                row.device = "flushed later"
                await session.commit()
                sa_event.remove(database.engine.sync_engine, "before_cursor_execute", record)
            async with database.sessions() as session:
                stored = await session.scalar(select(SessionRow).where(SessionRow.id == row.id))
                assert stored is not None
                return statements, stored.device, stored.revoked_at and "revoked"
        finally:
            await database.dispose()

    statements, device, revoked = asyncio.run(main(database_info.url))
    updates = [s for s in statements if s.startswith("UPDATE sessions")]
    assert len(updates) == 2  # one by key, one by the later flush; none at the first commit
    assert device == "flushed later" and revoked == "revoked"


def _new_task(title: str) -> dict[str, Any]:
    now = utcnow()
    return {"queue": "q", "title": title, "created_at": now, "updated_at": now}


@pytest.mark.parametrize("backend", backends())
def test_a_numbered_row_gets_its_number_from_its_own_id_in_one_statement(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    """``insert_numbered``: the number is the prefix and the id the statement chose, one
    statement and no ``UPDATE``; the id is the one the database would have chosen (SQLite:
    the largest plus one, also after the largest was deleted or was imported far ahead);
    many at once on PostgreSQL each get their own."""
    database_info = make_database(backend)
    prepare(database_info.url, demo=False)

    async def insert(database: Database, title: str) -> Task:
        async with database.sessions() as session:
            task = await insert_numbered(
                session, Task, _new_task(title), column="number", prefix="CTASK-", digits=7
            )
            await session.commit()
            return task

    async def main(url: str) -> tuple[list[Task], list[str], list[Task]]:
        database = Database(url)
        try:
            with _first_words(database) as statements:
                first = await insert(database, "первая")
            async with database.sessions() as session:
                # imported far ahead of the rest; then the largest deleted again
                far = Task(number="CTASK-90900132", id=90900132, **_new_task("импорт"))
                session.add(far)
                await session.commit()
            after_far = await insert(database, "после импорта")
            async with database.sessions() as session:
                await session.delete(await session.get(Task, after_far.id))
                await session.commit()
            after_delete = await insert(database, "после удаления")
            together = await asyncio.gather(*(insert(database, f"{i}") for i in range(8)))
            return [first, after_far, after_delete], statements, list(together)
        finally:
            await database.dispose()

    made, statements, together = asyncio.run(main(database_info.url))
    assert statements == ["WITH" if backend == "postgresql" else "INSERT"]  # one, no UPDATE
    first, after_far, after_delete = made
    for task in (*made, *together):
        assert task.number == f"CTASK-{task.id:07d}" and task.status == "new"
    if backend == "sqlite":  # the largest plus one, as SQLite picks a rowid
        assert after_far.id == 90900133
        assert after_delete.id == 90900133 and after_delete.number == "CTASK-90900133"
    else:  # the sequence: never handed out twice
        assert after_delete.id > after_far.id > first.id
    assert len({t.id for t in together}) == 8


@pytest.mark.parametrize("backend", backends())
def test_a_numbered_rows_followers_go_in_with_it_in_one_statement_on_postgresql(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    """``insert_numbered`` with followers (a history event, an audit entry): each gets the
    new row's columns it asks for (the id, the number); on PostgreSQL all in one statement,
    on SQLite one after the other; a rollback takes them all back."""
    database_info = make_database(backend)
    prepare(database_info.url, demo=False)
    events: Table = TaskEvent.__table__  # type: ignore[assignment]
    audit_log: Table = AuditEntry.__table__  # type: ignore[assignment]

    def followers(title: str) -> tuple[Follower, ...]:
        at = utcnow()
        return (
            Follower(
                events, {"at": at, "kind": "created", "details": {"t": title}}, {"task_id": "id"}
            ),
            Follower(
                audit_log,
                {"at": at, "actor_kind": "system", "action": "task.created", "details": {}},
                {"entity_id": "number"},
            ),
        )

    async def main(url: str) -> tuple[Task, list[str], list[Any], list[Any], int]:
        database = Database(url)

        async def insert(session: Any, title: str) -> Task:
            return await insert_numbered(
                session,
                Task,
                _new_task(title),
                column="number",
                prefix="CTASK-",
                digits=7,
                followers=followers(title),
            )

        try:
            with _first_words(database) as statements:
                async with database.sessions() as session:
                    task = await insert(session, "с историей")
                    await session.commit()
            async with database.sessions() as session:
                await insert(session, "отменённая")
                await session.rollback()
            async with database.sessions() as session:
                history = list(
                    (await session.execute(select(TaskEvent.task_id, TaskEvent.details))).all()
                )
                audited = list(
                    (await session.execute(select(AuditEntry.entity_id, AuditEntry.action))).all()
                )
                tasks = len(list(await session.scalars(select(Task.id))))
        finally:
            await database.dispose()
        return task, statements, history, audited, tasks

    task, statements, history, audited, tasks = asyncio.run(main(database_info.url))
    if backend == "postgresql":
        assert statements == ["WITH"]
    else:
        assert statements == ["INSERT", "INSERT", "INSERT"]
    assert task.number == f"CTASK-{task.id:07d}"
    assert [tuple(r) for r in history] == [(task.id, {"t": "с историей"})]
    assert [tuple(r) for r in audited] == [(task.number, "task.created")]
    assert tasks == 1  # the rolled-back one took its followers with it


@contextmanager
def _first_words(database: Database) -> Iterator[list[str]]:
    """The first word of each statement ``database`` runs inside the block."""
    statements: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split()[0])

    sa_event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(database.engine.sync_engine, "before_cursor_execute", record)
