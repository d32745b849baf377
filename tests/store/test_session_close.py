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


def _counting_closes(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.AbstractEventLoop]:
    """The event loop of each close that went through SQLAlchemy's task (an app of another
    test may still run in a thread of this process, with sessions of its own)."""
    loops: list[asyncio.AbstractEventLoop] = []
    original = async_session_module._run_to_completion

    async def counted(coro: Any) -> Any:
        loops.append(asyncio.get_running_loop())
        return await original(coro)

    monkeypatch.setattr(async_session_module, "_run_to_completion", counted)
    return loops


def _here(loops: list[asyncio.AbstractEventLoop]) -> int:
    """How many of them were this loop's."""
    loop = asyncio.get_running_loop()
    return sum(1 for seen in loops if seen is loop)


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
            untouched = _here(tasked)
            async with database.sessions() as session:  # a read: a transaction held
                await session.execute(text("SELECT 1"))
            reading = _here(tasked)
            async with database.sessions() as session:  # committed: nothing held
                await session.execute(text("SELECT 1"))
                await session.commit()
            committed = _here(tasked)
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
            return done, _here(tasked)
        finally:
            await database.dispose()

    done, closes_in_task = asyncio.run(main())
    assert done == ["announced"]
    assert closes_in_task == 1
