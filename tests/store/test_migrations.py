"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and go both ways."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from marketdesk.store.db import Database
from marketdesk.store.migrate import alembic_config, include_name, upgrade
from marketdesk.store.models import Base
from tests.conftest import backends


def _diff(connection):
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return compare_metadata(context, Base.metadata)


def _tables(connection):
    return set(inspect(connection).get_table_names())


def _downgrade(connection):
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


@pytest.mark.parametrize("backend", backends())
def test_upgrade_matches_models_and_downgrade_removes_everything(make_database, backend):
    db = make_database(backend)

    async def main():
        database = Database(db.url)
        try:
            await upgrade(database)
            async with database.engine.connect() as conn:
                diff = await conn.run_sync(_diff)
                tables = await conn.run_sync(_tables)
            async with database.engine.begin() as conn:
                await conn.run_sync(_downgrade)
            async with database.engine.connect() as conn:
                after_down = await conn.run_sync(_tables)
            await upgrade(database)  # and up again
            async with database.engine.connect() as conn:
                again = await conn.run_sync(_tables)
                if backend == "sqlite":
                    fts = await conn.scalar(
                        text("SELECT count(*) FROM sqlite_master WHERE name = 'products_fts'")
                    )
                else:
                    fts = await conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_indexes "
                            "WHERE indexname = 'ix_products_name_fts'"
                        )
                    )
            return diff, tables, after_down, again, fts
        finally:
            await database.dispose()

    diff, tables, after_down, again, fts = asyncio.run(main())
    assert diff == []
    assert set(Base.metadata.tables) <= tables
    assert after_down <= {"alembic_version"}
    assert set(Base.metadata.tables) <= again
    assert fts == 1


def test_constraint_names_follow_the_convention():
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
            assert str(constraint.name).split("_")[0] in {"pk", "fk", "uq", "ck"}, constraint.name


def _migrated_sqlite_names(make_database, where: str) -> set[str]:
    """The names in ``sqlite_master`` matching ``where`` after the whole chain of migrations
    on a new SQLite database."""
    db = make_database("sqlite")

    async def main():
        database = Database(db.url)
        try:
            await upgrade(database)
            async with database.engine.connect() as conn:
                return set(
                    await conn.scalars(text(f"SELECT name FROM sqlite_master WHERE {where}"))
                )
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_the_product_search_triggers_survive_every_migration(make_database):
    """A batch migration of ``products`` on SQLite copies the table and leaves its triggers
    behind: the full-text search then stops seeing new and renamed products. After the whole
    chain the three triggers are there."""
    triggers = _migrated_sqlite_names(make_database, "type = 'trigger'")
    assert {"products_fts_insert", "products_fts_delete", "products_fts_update"} <= triggers


def test_sqlite_batch_migrations_keep_the_expression_index_and_say_nothing(make_database, recwarn):
    """A later batch migration reflects ``customers`` (a table it refers to) and cannot read
    its expression index; the index stays, and the warning is not shown to whoever sets up
    a new database."""
    indexes = _migrated_sqlite_names(make_database, "type = 'index' AND tbl_name = 'customers'")
    assert {"ix_customers_email_lower", "ix_customers_name_key"} <= indexes
    assert not [w for w in recwarn if "expression-based index" in str(w.message)]
