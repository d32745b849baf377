"""The value tables of the string columns that have a type in ``domain/`` are built from it,
and the CHECK constraints the migrations wrote hold exactly the enum's values (issue 19)."""

from __future__ import annotations

import asyncio
import re
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, inspect

from marketdesk.domain.conversations import ConversationStatus
from marketdesk.domain.lines import Line
from marketdesk.domain.roles import Role
from marketdesk.domain.tasks import TaskPriority, TaskStatus
from marketdesk.store.db import Database
from marketdesk.store.migrate import upgrade
from marketdesk.store.models import Base
from tests.conftest import backends

# (table, column): the enum its CHECK constraint comes from
TYPED_COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("conversations", "status"): ConversationStatus,
    ("conversations", "line"): Line,
    ("operator_lines", "line"): Line,
    ("operator_roles", "role"): Role,
    ("staff_notices", "role"): Role,
    ("tasks", "status"): TaskStatus,
    ("tasks", "priority"): TaskPriority,
}


def _quoted(sql: str) -> list[str]:
    return re.findall(r"'([^']*)'", sql)


def _model_check(table: str, column: str) -> CheckConstraint:
    found = [
        c
        for c in Base.metadata.tables[table].constraints
        if isinstance(c, CheckConstraint) and str(c.sqltext).startswith(f"{column} IN (")
    ]
    assert len(found) == 1, (table, column)
    return found[0]


@pytest.mark.parametrize(("table", "column"), sorted(TYPED_COLUMNS))
def test_the_models_constraint_lists_the_enum_in_order(table: str, column: str) -> None:
    enum = TYPED_COLUMNS[(table, column)]
    check = _model_check(table, column)
    assert _quoted(str(check.sqltext)) == [member.value for member in enum]


@pytest.mark.parametrize("backend", backends())
def test_the_migrated_database_allows_exactly_the_enums_values(make_database, backend):
    db = make_database(backend)

    def reflect(connection):
        inspector = inspect(connection)
        return {
            table: [c["sqltext"] for c in inspector.get_check_constraints(table)]
            for table, _ in TYPED_COLUMNS
        }

    async def main():
        database = Database(db.url)
        try:
            await upgrade(database)
            async with database.engine.connect() as conn:
                return await conn.run_sync(reflect)
        finally:
            await database.dispose()

    checks = asyncio.run(main())
    for (table, column), enum in TYPED_COLUMNS.items():
        mine = [sql for sql in checks[table] if re.search(rf"\b{column}\b", sql)]
        assert [_quoted(sql) for sql in mine] == [[m.value for m in enum]], (table, column, mine)
