"""conversation channel and service-level clocks

Revision ID: 5c2e8f1a7b30
Revises: 7b3e5c1d9a42
Create Date: 2026-12-02 16:00:00.000000

A conversation knows its channel (every existing one came through the web chat), the
comment and time of its rating (the «Оценка сервиса»), and its service-level clocks: the
first public reply by a person and the due times of the running clocks. A clock that runs
out is recorded once in ``sla_breaches``. The index on ``created_at`` serves the
wallboard's and the reports' «today».
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c2e8f1a7b30"
down_revision: str | None = "7b3e5c1d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="web")
        )
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        for name in (
            "rated_at",
            "first_response_at",
            "first_response_due_at",
            "next_response_due_at",
            "resolution_due_at",
        ):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_conversations_channel_allowed"),
            "channel IN ('web', 'email', 'telegram', 'vk')",
        )
        batch_op.create_index("ix_conversations_created", ["created_at"], unique=False)
    op.create_table(
        "sla_breaches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_id", BIG_ID, nullable=True),
        sa.CheckConstraint(
            "kind IN ('first_response', 'next_response', 'resolution')",
            name=op.f("ck_sla_breaches_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sla_breaches_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_sla_breaches_operator_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint(
            "conversation_id",
            "kind",
            "due_at",
            name=op.f("uq_sla_breaches_conversation_id_kind_due_at"),
        ),
    )
    op.create_index("ix_sla_breaches_breached", "sla_breaches", ["breached_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sla_breaches_breached", table_name="sla_breaches")
    op.drop_table("sla_breaches")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_created")
        batch_op.drop_constraint(op.f("ck_conversations_channel_allowed"), type_="check")
        for name in (
            "resolution_due_at",
            "next_response_due_at",
            "first_response_due_at",
            "first_response_at",
            "rated_at",
            "rating_comment",
            "channel",
        ):
            batch_op.drop_column(name)
