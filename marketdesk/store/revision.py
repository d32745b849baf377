"""Whether the database's schema is the code's: the revision Alembic recorded in the
database against the head of the migrations shipped with this code (``/readyz``)."""

from __future__ import annotations

from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import text

from .db import AsyncSession
from .migrate import alembic_config

__all__ = ["code_heads", "database_revisions", "migrations_current"]


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    """The head revision(s) of the migrations in this package (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def database_revisions(session: AsyncSession) -> frozenset[str]:
    """The revisions recorded in the database (none: never migrated)."""
    try:
        rows = await session.scalars(text("SELECT version_num FROM alembic_version"))
        return frozenset(str(row) for row in rows)
    except Exception:  # no alembic_version table: never migrated
        await session.rollback()
        return frozenset()


async def migrations_current(session: AsyncSession) -> bool:
    """True when the database is at the head of the code's migrations."""
    return await database_revisions(session) == code_heads()
