"""chat SLA warnings and the customer's escalation

Revision ID: 9d4b2e6f1c85
Revises: 9d4b7e2a6c15
Create Date: 2026-12-02 17:00:00.000000

A warning before an SLA clock runs out goes to the operator and the supervisors once per
clock and due time (``sla_warnings``, like ``sla_breaches``: the unique key makes it once
across server processes). A customer whose conversation is overdue may escalate it to the
supervisors: when (``escalated_at``) and the supervisors' own deadline
(``escalation_due_at``, null once resolved or closed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4b2e6f1c85"
down_revision: str | None = "9d4b7e2a6c15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_due_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "sla_warnings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('first_response', 'next_response', 'resolution')",
            name=op.f("ck_sla_warnings_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_sla_warnings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_warnings")),
        sa.UniqueConstraint(
            "conversation_id",
            "kind",
            "due_at",
            name=op.f("uq_sla_warnings_conversation_id_kind_due_at"),
        ),
    )


def downgrade() -> None:
    op.drop_table("sla_warnings")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("escalation_due_at")
        batch_op.drop_column("escalated_at")
