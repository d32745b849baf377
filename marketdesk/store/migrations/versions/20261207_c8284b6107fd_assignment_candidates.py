"""the assignment's lock and its candidates in one call (PostgreSQL)

Revision ID: c8284b6107fd
Revises: 5c1e8d7a3b92
Create Date: 2026-12-07 11:10:00.000000

Issue 17: a bot's handoff on PostgreSQL took the assignment's advisory lock in one statement
and read the line's operators in the next, so that the read saw what the lock's earlier
holders had committed (a statement's snapshot is taken before anything in it runs). A
``VOLATILE`` function takes a fresh snapshot for each query it runs: this one takes the
lock, then reads the operators, and so can ride on the handoff's own statement
(``services/chat/follow_up.py``). The read is ``assignment._CANDIDATES``'s; SQLite has no
functions and no advisory locks, and reads as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c8284b6107fd"
down_revision: str | None = "5c1e8d7a3b92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CREATE = """
CREATE OR REPLACE FUNCTION marketdesk_assignment_candidates(p_line varchar, p_lock bigint)
RETURNS TABLE (operator_id bigint, chat_capacity integer, load bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    RETURN QUERY
    SELECT o.id, o.chat_capacity,
           (SELECT count(*) FROM conversations c
             WHERE c.assigned_operator_id = o.id AND c.status = 'assigned')
      FROM operators o
      JOIN operator_lines ol ON ol.operator_id = o.id
      JOIN operator_presence p ON p.operator_id = o.id
     WHERE ol.line = p_line AND p.available AND o.is_active AND o.chat_capacity > 0;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS marketdesk_assignment_candidates(varchar, bigint)")
