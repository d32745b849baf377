"""task outcomes: how a task ended, and a product's description error fixed

Revision ID: 9d4a6b2e1c57
Revises: 5c2e8f1a7b30
Create Date: 2026-12-02 16:10:00.000000

A finished task records a typed outcome (``domain.task_outcomes``): lifted or kept for a
coupon ban, corrected for a description error, done or rejected elsewhere. Tasks finished
before this migration get the outcome their status says. A product records when and by whom
its description error was fixed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4a6b2e1c57"
down_revision: str | None = "5c2e8f1a7b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")

# SQLite: the batch copies ``products`` into a new table, and its triggers go with the old
# one; the full-text search's triggers (initial schema, frozen here) are made again after it
_SQLITE_FTS_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS products_fts_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name) VALUES (new.id, new.name);
    END""",
    """CREATE TRIGGER IF NOT EXISTS products_fts_delete AFTER DELETE ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.id, old.name);
    END""",
    """CREATE TRIGGER IF NOT EXISTS products_fts_update AFTER UPDATE OF name ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.id, old.name);
        INSERT INTO products_fts(rowid, name) VALUES (new.id, new.name);
    END""",
]


def _restore_search_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_tasks_outcome_allowed"),
            "outcome IN ('lifted', 'kept', 'corrected', 'done', 'rejected')",
        )
    op.execute("UPDATE tasks SET outcome = status WHERE status IN ('done', 'rejected')")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("description_corrected_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("description_corrected_by_id", BIG_ID, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_products_description_corrected_by_id_operators"),
            "operators",
            ["description_corrected_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _restore_search_triggers()


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_products_description_corrected_by_id_operators"), type_="foreignkey"
        )
        batch_op.drop_column("description_corrected_by_id")
        batch_op.drop_column("description_corrected_at")
    _restore_search_triggers()
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tasks_outcome_allowed"), type_="check")
        batch_op.drop_column("outcome")
