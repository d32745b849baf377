"""buyer ↔ seller chat: the ``seller_chat`` line, the conversation's seller, read marks

Issue 14, items 1 and 2: a conversation may have a seller as its party (``seller_id``), on the
new line ``seller_chat`` (added to the lines' CHECK constraints); the messages hub's unread
counts read ``customer_read_seq`` and ``seller_read_seq``; ``operator_sellers`` links the staff
accounts that answer for a seller.

Revision ID: 7a3d5c1e9b28
Revises: e4b8c2a61d07
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3d5c1e9b28"
down_revision: str | None = "e4b8c2a61d07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_OLD = "line IN ('general', 'travel_priority', 'seller')"
_NEW = "line IN ('general', 'travel_priority', 'seller', 'seller_chat')"
# (table, the constraint's name as created)
_LINE_CHECKS = (
    ("conversations", "ck_conversations_line_allowed"),
    ("operator_lines", "ck_operator_lines_line_allowed"),
    ("line_schedules", "ck_line_schedules_line"),
)


def _lines(check: str) -> None:
    for table, name in _LINE_CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")
            batch_op.create_check_constraint(op.f(name), check)


def upgrade() -> None:
    _lines(_NEW)
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seller_id", BIG_ID, nullable=True))
        batch_op.add_column(
            sa.Column("customer_read_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("seller_read_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_foreign_key(
            op.f("fk_conversations_seller_id_sellers"),
            "sellers",
            ["seller_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_conversations_seller", ["seller_id"], unique=False)
    op.create_table(
        "operator_sellers",
        sa.Column("operator_id", BIG_ID, nullable=False),
        sa.Column("seller_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_sellers_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_operator_sellers_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", "seller_id", name=op.f("pk_operator_sellers")),
    )
    op.create_index("ix_operator_sellers_seller", "operator_sellers", ["seller_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_operator_sellers_seller", table_name="operator_sellers")
    op.drop_table("operator_sellers")
    op.execute("DELETE FROM conversations WHERE line = 'seller_chat'")
    op.execute("DELETE FROM operator_lines WHERE line = 'seller_chat'")
    op.execute("DELETE FROM line_schedules WHERE line = 'seller_chat'")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_seller")
        batch_op.drop_constraint(op.f("fk_conversations_seller_id_sellers"), type_="foreignkey")
        batch_op.drop_column("seller_read_seq")
        batch_op.drop_column("customer_read_seq")
        batch_op.drop_column("seller_id")
    _lines(_OLD)
