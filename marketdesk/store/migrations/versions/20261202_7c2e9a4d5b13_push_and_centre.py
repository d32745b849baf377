"""notifications: Web Push subscriptions; the notification centre's read mark

Revision ID: 7c2e9a4d5b13
Revises: b7c2e9d4a1f3
Create Date: 2026-12-02 20:30:00.000000

``push_subscriptions`` holds a customer's browsers that accept Web Push (endpoint and keys);
``notifications.read_at`` is when the customer read an item of the notification centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e9a4d5b13"
down_revision: str | None = "b7c2e9d4a1f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("notifications", sa.Column("read_at", TZ, nullable=True))
    op.create_table(
        "push_subscriptions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_push_subscriptions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index("ix_push_subscriptions_customer", "push_subscriptions", ["customer_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_push_subscriptions_customer", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("read_at")
