"""returns: accepted return requests and their items

Revision ID: 8c5f2d7a4e61
Revises: 6e1d3a8f5b94
Create Date: 2026-12-02 16:40:00.000000

An accepted return (``domain.returns``) is recorded with a number, its reason and the
back-office task of the «Возвраты» queue that works it; its items say which products and how
many.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c5f2d7a4e61"
down_revision: str | None = "6e1d3a8f5b94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("task_number", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('defect', 'not_as_described', 'proper_quality', 'warranty')",
            name=op.f("ck_returns_reason_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_returns_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_returns_number")),
    )
    op.create_index("ix_returns_customer", "returns", ["customer_id", "created_at"], unique=False)
    op.create_index(op.f("ix_returns_order_id"), "returns", ["order_id"], unique=False)
    op.create_table(
        "return_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("return_id", BIG_ID, nullable=False),
        sa.Column("product_id", BIG_ID, nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_return_items_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_items_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_items")),
    )
    op.create_index(op.f("ix_return_items_return_id"), "return_items", ["return_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_return_items_return_id"), table_name="return_items")
    op.drop_table("return_items")
    op.drop_index(op.f("ix_returns_order_id"), table_name="returns")
    op.drop_index("ix_returns_customer", table_name="returns")
    op.drop_table("returns")
