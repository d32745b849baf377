"""an index of conversations by visitor

Revision ID: 9f3b6d2e8a41
Revises: 7d2c4e9a1b53
Create Date: 2026-12-04 22:40:00.000000

Issue 17: a visitor's open conversations were found through the queue's index (status,
line): every new conversation of a widget visitor read every open conversation of its line.
By visitor, as a customer's already are (``ix_conversations_customer``).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "9f3b6d2e8a41"
down_revision: str | None = "7d2c4e9a1b53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_visitor", ["visitor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_visitor")
