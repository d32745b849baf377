"""tasks: an index on (queue, created_at) for the workspace's filter by creation date, and
the id at the end of (queue, status, deadline_at): the workspace's page of ids and counts come
from the index alone

Revision ID: b7c2e9d4a1f3
Revises: ccc0944a95e5
Create Date: 2026-12-02 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "b7c2e9d4a1f3"
down_revision: str | None = "ccc0944a95e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_queue_created", "tasks", ["queue", "created_at"], unique=False)
    op.drop_index("ix_tasks_queue_status", table_name="tasks")
    op.create_index(
        "ix_tasks_queue_status", "tasks", ["queue", "status", "deadline_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_queue_status", table_name="tasks")
    op.create_index(
        "ix_tasks_queue_status", "tasks", ["queue", "status", "deadline_at"], unique=False
    )
    op.drop_index("ix_tasks_queue_created", table_name="tasks")
