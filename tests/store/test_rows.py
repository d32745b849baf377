"""Rows inserted with one prepared statement (``store/rows.py``): the object is built from
what was stored (defaults included), is clean in the session, flushes later changes like any
object read, and leaves the session with a rollback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select

from marketdesk.store.db import Database
from marketdesk.store.models import Session as SessionRow
from marketdesk.store.models import Visitor, utcnow
from marketdesk.store.rows import insert_adopted
from tests.conftest import TestDatabase, backends, prepare


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
                row = await insert_adopted(
                    session,
                    SessionRow,
                    {
                        "token_hash": "h" * 64,
                        "subject_kind": "visitor",
                        "visitor_id": again.id,
                        "expires_at": utcnow(),
                    },
                )
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
