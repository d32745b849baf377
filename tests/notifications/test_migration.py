"""The migration that made ``sms_outbox`` the ancestor of ``notifications``: a pending code
stays queued with its text, a sent one keeps no text; the way back restores the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from marketdesk.store.db import Database
from marketdesk.store.migrate import alembic_config, upgrade
from tests.conftest import TestDatabase, backends

BEFORE = "5c2e8f1a7b30"


@pytest.mark.parametrize("backend", backends())
def test_sms_outbox_rows_move_to_notifications_and_back(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    db = make_database(backend)

    async def main() -> None:
        database = Database(db.url)
        try:
            await upgrade(database, BEFORE)
            at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
            async with database.engine.begin() as connection:
                for phone, text_, kind, status in (
                    ("+79990000001", "Код 111111", "login_code", "pending"),
                    ("+79990000002", None, "certificate", "sent"),
                    ("+79990000003", None, "login_code", "expired"),
                ):
                    await connection.execute(
                        text(
                            "INSERT INTO sms_outbox (phone, text, kind, status, attempts, "
                            "created_at) VALUES (:p, :t, :k, :s, 1, :at)"
                        ),
                        {"p": phone, "t": text_, "k": kind, "s": status, "at": at},
                    )
            await upgrade(database)
            async with database.engine.connect() as connection:
                rows = (
                    await connection.execute(
                        text(
                            "SELECT address, event, channel, type, status, body, secret "
                            "FROM notifications ORDER BY address"
                        )
                    )
                ).all()
            assert [tuple(r) for r in rows] == [
                ("+79990000001", "login_code", "sms", "account", "queued", "Код 111111", True),
                ("+79990000002", "certificate_issued", "sms", "account", "sent", None, True),
                ("+79990000003", "login_code", "sms", "account", "expired", None, True),
            ]

            def down(connection: object) -> None:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.downgrade(config, BEFORE)

            async with database.engine.begin() as connection:
                await connection.run_sync(down)
            async with database.engine.connect() as connection:
                back = (
                    await connection.execute(
                        text("SELECT phone, text, kind, status FROM sms_outbox ORDER BY phone")
                    )
                ).all()
            assert [tuple(r) for r in back] == [
                ("+79990000001", "Код 111111", "login_code", "pending"),
                ("+79990000002", None, "certificate", "sent"),
                ("+79990000003", None, "login_code", "expired"),
            ]
        finally:
            await database.dispose()

    asyncio.run(main())
