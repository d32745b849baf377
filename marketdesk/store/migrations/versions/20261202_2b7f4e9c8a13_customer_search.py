"""customer search: the searchable name and the case-free e-mail index

Revision ID: 2b7f4e9c8a13
Revises: 9d4a6b2e1c57
Create Date: 2026-12-02 16:20:00.000000

A customer is found by the beginning of their name (``customers.name_key``: lower case, «ё»
as «е», single spaces; kept by the model) and by e-mail without regard to case (an index on
``lower(email)``). Phones are unique and indexed already; orders by their number too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b7f4e9c8a13"
down_revision: str | None = "9d4a6b2e1c57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# byte order on PostgreSQL whatever the database's collation (the search is a prefix range)
NAME_KEY = sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")
_SPACES = re.compile(r"[\s-]+")


def _name_key(full_name: str) -> str:
    # frozen copy of domain.customer_search.name_key as of this revision
    return _SPACES.sub(" ", full_name.casefold().replace("ё", "е")).strip()


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", NAME_KEY, nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, full_name FROM customers")).all()
    if rows:
        connection.execute(
            sa.text("UPDATE customers SET name_key = :key WHERE id = :id"),
            [{"id": row.id, "key": _name_key(row.full_name or "")} for row in rows],
        )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("name_key", server_default=None)
        batch_op.create_index("ix_customers_name_key", ["name_key"], unique=False)
    op.create_index("ix_customers_email_lower", "customers", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customers_email_lower", table_name="customers")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_name_key")
        batch_op.drop_column("name_key")
