"""Creating and dropping a PostgreSQL database on a server (a test's or a benchmark's own,
fresh database): one place for the admin connection."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url

from marketdesk.settings import normalize_database_url

__all__ = ["admin_execute", "create_database", "drop_database"]

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


async def admin_execute(server_url: str, sql: str) -> None:
    """Run one statement on the database of ``server_url`` (outside a transaction: CREATE
    and DROP DATABASE may not run inside one)."""
    import asyncpg

    url = make_url(normalize_database_url(server_url))
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_database(server_url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``server_url`` → its URL (the
    driver of ``server_url``, the password kept)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    return (
        make_url(normalize_database_url(server_url))
        .set(database=name)
        .render_as_string(hide_password=False)
    )


async def drop_database(server_url: str, name: str) -> None:
    """Drop ``name`` (if it exists), its open connections with it."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
