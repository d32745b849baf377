"""audit viewer indexes: by actor and by action, newest first

Revision ID: a3d1f0c2b7e4
Revises: 5421a839413a
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "a3d1f0c2b7e4"
down_revision: str | None = "5421a839413a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_actor", "audit_log", ["actor_kind", "actor_id", "at"], unique=False
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
