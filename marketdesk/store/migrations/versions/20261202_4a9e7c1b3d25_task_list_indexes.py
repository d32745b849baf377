"""task list indexes: by assignee and by creation

Revision ID: 4a9e7c1b3d25
Revises: 8c5f2d7a4e61
Create Date: 2026-12-02 16:50:00.000000

The back-office workspace filters tasks by assignee (with status and deadline order) and by
creation date, over a hundred thousand tasks: both by an index.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "4a9e7c1b3d25"
down_revision: str | None = "8c5f2d7a4e61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_assignee", "tasks", ["assignee_id", "status", "deadline_at"], unique=False
    )
    op.create_index("ix_tasks_created", "tasks", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tasks_created", table_name="tasks")
    op.drop_index("ix_tasks_assignee", table_name="tasks")
