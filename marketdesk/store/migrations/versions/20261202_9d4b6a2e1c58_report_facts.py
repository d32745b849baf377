"""report facts

Revision ID: 9d4b6a2e1c58
Revises: 9d4b2e6f1c85
Create Date: 2026-12-02 17:00:00.000000

The reports' materialised facts: one row per conversation of a closed day
(``conversation_facts``), the days materialised (``report_days``) and their unfiltered
tallies (``report_day_tallies``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4b6a2e1c58"
down_revision: str | None = "9d4b2e6f1c85"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "conversation_facts",
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("line", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("operator_id", BIG_ID, nullable=True),
        sa.Column("handed", sa.SmallInteger(), nullable=False),
        sa.Column("breached", sa.SmallInteger(), nullable=False),
        sa.Column("resolved", sa.SmallInteger(), nullable=False),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        sa.Column("first_response_bucket", sa.SmallInteger(), nullable=True),
        sa.Column("resolution_s", sa.Float(), nullable=True),
        sa.Column("resolution_bucket", sa.SmallInteger(), nullable=True),
        sa.Column("handle_s", sa.Float(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_facts_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_facts")),
    )
    op.create_index(
        "ix_conversation_facts_day", "conversation_facts", ["day", "line"], unique=False
    )
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_days")),
    )
    op.create_table(
        "report_day_tallies",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("grouping", sa.String(length=48), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("day", "grouping", name=op.f("pk_report_day_tallies")),
    )


def downgrade() -> None:
    op.drop_table("report_day_tallies")
    op.drop_table("report_days")
    op.drop_index("ix_conversation_facts_day", table_name="conversation_facts")
    op.drop_table("conversation_facts")
