"""Run the Alembic migrations from code (``marketdesk db upgrade``, server start, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import Database

__all__ = ["MIGRATIONS_DIR", "alembic_config", "include_name", "upgrade"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# any constant works; it only has to be the same in every marketdesk process
_PG_MIGRATION_LOCK = 0x6D61726B


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Objects the migrations create by hand (full-text search) are not in the models."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith("products_fts")
    return not (type_ == "index" and name == "ix_products_name_fts")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # several server processes may start at once: only one migrates at a time
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(database: Database, revision: str = "head") -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
