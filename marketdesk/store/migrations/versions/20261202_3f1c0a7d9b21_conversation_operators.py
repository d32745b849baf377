"""conversation operators: who has ever been assigned to a conversation

Line-scoped access (issue 18) lets an operator keep reading a conversation they were
assigned to after it moved on; this table remembers them. Existing assignments are copied.

Revision ID: 3f1c0a7d9b21
Revises: a3d1f0c2b7e4
Create Date: 2026-12-02 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f1c0a7d9b21"
down_revision: str | None = "a3d1f0c2b7e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "conversation_operators",
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("operator_id", BIG_ID, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_operators_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_conversation_operators_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "conversation_id", "operator_id", name=op.f("pk_conversation_operators")
        ),
    )
    with op.batch_alter_table("conversation_operators", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_operators_operator", ["operator_id"], unique=False)
    op.execute(
        "INSERT INTO conversation_operators (conversation_id, operator_id, since) "
        "SELECT id, assigned_operator_id, updated_at FROM conversations "
        "WHERE assigned_operator_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("conversation_operators", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_operators_operator")
    op.drop_table("conversation_operators")
