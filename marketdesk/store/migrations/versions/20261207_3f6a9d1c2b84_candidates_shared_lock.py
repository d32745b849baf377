"""the handoff's read of the line's operators under the assignment's lock shared (PostgreSQL)

Revision ID: 3f6a9d1c2b84
Revises: c8284b6107fd
Create Date: 2026-12-07 18:00:00.000000

Issue 17: every bot handoff on PostgreSQL took the assignment's advisory lock exclusively in
``marketdesk_assignment_candidates`` and held it through its statement's commit, the WAL's
flush included, so the handoffs of all lines went one after another (sampled under a load
of bot handoffs: 287 of 1 032 samples of active backends waited on that lock).
A handoff only adds a conversation to the queue and reads the operators; only a dispatch
assigns. So the handoff now takes the lock shared (``pg_advisory_xact_lock_shared``) and a
dispatch still takes it exclusively (``assignment.assign_lock``): handoffs run side by
side, and each is still ordered against every dispatch — one that held the lock before is
seen in the operators' read (a snapshot taken after the lock), one that takes it later
sees the conversation queued. The function's name, arguments and rows are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3f6a9d1c2b84"
down_revision: str | None = "c8284b6107fd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BODY = """
CREATE OR REPLACE FUNCTION marketdesk_assignment_candidates(p_line varchar, p_lock bigint)
RETURNS TABLE (operator_id bigint, chat_capacity integer, load bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM {lock}(p_lock);
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
        op.execute(_BODY.format(lock="pg_advisory_xact_lock_shared"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_BODY.format(lock="pg_advisory_xact_lock"))
