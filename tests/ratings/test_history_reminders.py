"""A fresh demo sends no wave of rating reminders into its generated history: those
conversations count as reminded long ago."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketdesk.services.demo_history import generate_history
from marketdesk.services.ratings import send_reminders
from marketdesk.store.db import Database
from marketdesk.store.models import Conversation
from tests.conftest import backends, prepare


@pytest.mark.parametrize("backend", backends())
def test_generated_history_is_not_reminded(make_database, backend):
    db = make_database(backend)
    prepare(db.url)

    async def main() -> tuple[int, int, list[int]]:
        database = Database(db.url)
        try:
            async with database.sessions() as session:
                await generate_history(session, days=10, per_day=20, messages=False)
            async with database.sessions() as session:
                unrated = await session.scalar(
                    select(func.count()).where(
                        Conversation.rating.is_(None), Conversation.resolved_at.is_not(None)
                    )
                )
                total = await session.scalar(select(func.count()).select_from(Conversation))
            async with database.sessions() as session:
                sent = await send_reminders(session, delay=timedelta(hours=24))
            return int(unrated or 0), int(total or 0), sent
        finally:
            await database.dispose()

    unrated, total, sent = asyncio.run(main())
    assert total >= 150 and unrated > 0  # there was something a reminder could go to
    assert sent == []


@pytest.mark.parametrize("backend", backends())
def test_generated_tasks_have_numbers_the_api_opens(make_database, backend):
    """The workspace opens a task by its number (``CTASK-`` and seven digits or more)."""
    import re

    from marketdesk.store.models import Task

    db = make_database(backend)
    prepare(db.url)

    async def main() -> list[str]:
        database = Database(db.url)
        try:
            async with database.sessions() as session:
                await generate_history(session, days=3, per_day=40, messages=False)
            async with database.sessions() as session:
                return list(await session.scalars(select(Task.number)))
        finally:
            await database.dispose()

    numbers = asyncio.run(main())
    assert len(numbers) > 6  # the demo's own and the generated
    assert [n for n in numbers if not re.fullmatch(r"CTASK-\d{7,}", n)] == []
