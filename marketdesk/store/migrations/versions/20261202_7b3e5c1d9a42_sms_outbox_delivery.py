"""sms outbox delivery: the text is wiped once sent

Revision ID: 7b3e5c1d9a42
Revises: 3f1c0a7d9b21
Create Date: 2026-12-02 08:00:00.000000

The outbox kept every login code readable. From now on the text lives only until the gateway
takes it (or the code expires). Rows written before this migration were never sent (the
demo had no gateway) and their codes have expired or will within minutes: their text goes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b3e5c1d9a42"
down_revision: str | None = "3f1c0a7d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("text", existing_type=sa.Text(), nullable=True)
    op.execute(
        "UPDATE sms_outbox SET text = NULL, "
        "status = CASE WHEN sent_at IS NULL THEN 'expired' ELSE 'sent' END"
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("attempts", server_default=None)
        batch_op.create_check_constraint(
            op.f("ck_sms_outbox_status_allowed"), "status IN ('pending', 'sent', 'expired')"
        )
        batch_op.create_index("ix_sms_outbox_status", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.execute("UPDATE sms_outbox SET text = '' WHERE text IS NULL")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_status")
        batch_op.drop_constraint(op.f("ck_sms_outbox_status_allowed"), type_="check")
        batch_op.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
