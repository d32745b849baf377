"""Alembic environment: runs on a connection handed over by marketdesk.store.migrate,
or, from the ``alembic`` command line, on MARKETDESK_DATABASE_URL / the default SQLite file."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import create_async_engine

from marketdesk.settings import Settings
from marketdesk.store.migrate import include_name
from marketdesk.store.models import Base
from marketdesk.store.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write the app's UTC type as a plain timezone-aware DateTime in new migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    # On SQLite a batch migration reflects the tables its table refers to; SQLAlchemy cannot
    # reflect the expression index ``ix_customers_email_lower`` of ``customers`` and says so.
    # Those tables are only read, never rebuilt, so their indexes stay (a test checks this
    # one): the warning would only alarm whoever sets up a new database.
    warnings.filterwarnings(
        "ignore",
        message="Skipped unsupported reflection of expression-based index",
        category=SAWarning,
    )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    settings = Settings()
    settings.ensure_data_dir()
    engine = create_async_engine(settings.async_database_url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run_standalone())
