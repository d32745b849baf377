"""rating reviews and reminders

Revision ID: 9d4b7e2a6c15
Revises: 4a9e7c1b3d25
Create Date: 2026-12-02 16:10:00.000000

«Оценка сервиса»: a low rating opens a review for the supervisors (``rating_reviews``, one
per conversation, open until marked done); a customer who has not rated gets one reminder,
marked sent in ``rating_reminders``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4b7e2a6c15"
down_revision: str | None = "4a9e7c1b3d25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rating_reviews",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", BIG_ID, nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'done')", name=op.f("ck_rating_reviews_status_allowed")
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_rating_reviews_rating")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_rating_reviews_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["operators.id"],
            name=op.f("fk_rating_reviews_reviewed_by_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_reviews")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_rating_reviews_conversation_id")),
    )
    op.create_index(
        "ix_rating_reviews_status", "rating_reviews", ["status", "created_at"], unique=False
    )
    op.create_table(
        "rating_reminders",
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_rating_reminders_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_rating_reminders")),
    )


def downgrade() -> None:
    op.drop_table("rating_reminders")
    op.drop_index("ix_rating_reviews_status", table_name="rating_reviews")
    op.drop_table("rating_reviews")
