"""A session's end (``Session.__aexit__``): one that holds no transaction and has no
after-commit work left closes in place, without the task SQLAlchemy gives every close; one
that holds a transaction still closes in that task, so that a cancellation of its caller
cannot cut the close short (its connection goes back to the pool whole)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import session as async_session_module

from marketdesk.store.db import Database
from marketdesk.store.transactions import on_commit
from tests.conftest import TestDatabase, backends


def _counting_closes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many closes went through SQLAlchemy's task (one entry each)."""
    calls: list[int] = []
    original = async_session_module._run_to_completion

    async def counted(coro: Any) -> Any:
        calls.append(1)
        return await original(coro)

    monkeypatch.setattr(async_session_module, "_run_to_completion", counted)
    return calls


@pytest.mark.parametrize("backend", backends())
def test_a_session_without_a_transaction_closes_in_place(
    backend: str,
    make_database: Callable[[str], TestDatabase],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = make_database(backend)
    tasked = _counting_closes(monkeypatch)

    async def main() -> tuple[int, int, int, int]:
        database = Database(db.url)
        try:
            async with database.sessions():  # nothing done
                pass
            untouched = len(tasked)
            async with database.sessions() as session:  # a read: a transaction held
                await session.execute(text("SELECT 1"))
            reading = len(tasked)
            async with database.sessions() as session:  # committed: nothing held
                await session.execute(text("SELECT 1"))
                await session.commit()
            committed = len(tasked)
            pool = database.engine.sync_engine.pool
            return untouched, reading, committed, pool.checkedout()  # type: ignore[attr-defined]
        finally:
            await database.dispose()

    untouched, reading, committed, checked_out = asyncio.run(main())
    assert untouched == 0
    assert reading == 1  # the transaction's close in SQLAlchemy's own task
    assert committed == 1  # the committed one closed in place
    assert checked_out == 0


@pytest.mark.parametrize("backend", backends())
def test_after_commit_work_left_goes_with_the_protected_close(
    backend: str,
    make_database: Callable[[str], TestDatabase],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transaction committed by ``session.begin()`` (not ``Session.commit``) leaves its
    after-commit work to the close: that close awaits it, so it takes SQLAlchemy's task."""
    db = make_database(backend)
    tasked = _counting_closes(monkeypatch)

    async def main() -> tuple[list[str], int]:
        database = Database(db.url)
        done: list[str] = []

        async def announce() -> None:
            await asyncio.sleep(0)
            done.append("announced")

        try:
            async with database.sessions() as session:
                async with session.begin():
                    await session.execute(text("SELECT 1"))
                    on_commit(session, announce)
                assert done == []  # not yet: the close runs it
            return done, len(tasked)
        finally:
            await database.dispose()

    done, closes_in_task = asyncio.run(main())
    assert done == ["announced"]
    assert closes_in_task == 1
