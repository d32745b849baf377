"""A database error carries no statement parameters: its text reaches the server's log
(tracebacks), and parameters are what people typed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from marketdesk.store.db import Database
from marketdesk.store.models import Visitor
from tests import conftest
from tests.conftest import backends, prepare

CARD = "4276380012345678"


@pytest.mark.parametrize("backend", backends())
def test_database_errors_hide_the_parameters(
    backend: str, make_database: Callable[[str], conftest.TestDatabase]
) -> None:
    db = make_database(backend)
    prepare(db.url, demo=False)

    async def main() -> str:
        database = Database(db.url)
        try:
            for _ in range(2):
                async with database.sessions() as session:
                    session.add(Visitor(id=f"card-{CARD}"))
                    try:
                        await session.commit()
                    except IntegrityError as exc:
                        return str(exc)
            raise AssertionError("the second insert should have failed")
        finally:
            await database.dispose()

    message: Any = asyncio.run(main())
    assert "hidden" in message.lower()
    assert CARD not in message
