"""order details: the payment method and the status history

Revision ID: 6e1d3a8f5b94
Revises: 2b7f4e9c8a13
Create Date: 2026-12-02 16:30:00.000000

An order carries how it was paid (the marketplace's own text) and the history of its
statuses with their times (``order_status_events``). Orders stored before this migration get
one history row: the status they are in, at the time they were created (all that is known).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6e1d3a8f5b94"
down_revision: str | None = "2b7f4e9c8a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
STATUSES = "'created', 'processing', 'in_delivery', 'ready_for_pickup', 'completed', 'cancelled'"


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_method", sa.String(length=64), nullable=True))
    op.create_table(
        "order_status_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"status IN ({STATUSES})", name=op.f("ck_order_status_events_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_status_events_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_status_events")),
    )
    op.create_index(
        "ix_order_status_events_order", "order_status_events", ["order_id", "at"], unique=False
    )
    op.execute(
        "INSERT INTO order_status_events (order_id, status, at) "
        "SELECT id, status, created_at FROM orders"
    )


def downgrade() -> None:
    op.drop_index("ix_order_status_events_order", table_name="order_status_events")
    op.drop_table("order_status_events")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("payment_method")
