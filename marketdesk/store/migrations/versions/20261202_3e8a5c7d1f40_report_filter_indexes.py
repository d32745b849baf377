"""report filter indexes: the facts by operator, topic and channel

Revision ID: 3e8a5c7d1f40
Revises: 9d4f2b6c1e58
Create Date: 2026-12-02 17:50:00.000000

A report filtered by an operator, a topic or a channel over a year read every row of
``conversation_facts`` (about two seconds at 1 000 conversations a day on SQLite): with
these indexes it reads the rows of that one only.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3e8a5c7d1f40"
down_revision: str | None = "9d4f2b6c1e58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_conversation_facts_operator": ["operator_id", "day"],
    "ix_conversation_facts_topic": ["topic", "day"],
    "ix_conversation_facts_channel": ["channel", "day"],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "conversation_facts", columns, unique=False)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="conversation_facts")
