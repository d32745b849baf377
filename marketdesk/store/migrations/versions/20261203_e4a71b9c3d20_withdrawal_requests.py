"""withdrawal requests with their bank details

Revision ID: e4a71b9c3d20
Revises: c0a7e16b2d4f
Create Date: 2026-12-03 08:00:00.000000

Issue 14, item 3: a withdrawal takes the recipient, the BIK and the account number (checked
with the Bank of Russia's control key), kept with the request for the payment.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a71b9c3d20"
down_revision: str | None = "c0a7e16b2d4f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "withdrawal_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("balance_entry_id", BIG_ID, nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("bik", sa.String(length=9), nullable=False),
        sa.Column("account", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('accepted', 'paid', 'rejected')",
            name=op.f("ck_withdrawal_requests_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_withdrawal_requests_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["balance_entry_id"],
            ["balance_entries.id"],
            name=op.f("fk_withdrawal_requests_balance_entry_id_balance_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_requests")),
    )
    op.create_index(
        "ix_withdrawal_requests_customer",
        "withdrawal_requests",
        ["customer_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_withdrawal_requests_customer", table_name="withdrawal_requests")
    op.drop_table("withdrawal_requests")
