"""people and structure: calendar exceptions, line schedules, queue settings, operators' TOTP

Issue 16, item 4: the admins' exceptions to the business-hours calendar
(``calendar_exceptions``), each line's working hours (``line_schedules``), each queue's
deadline (``queue_settings``), and the operators' second factor (``operators.totp_*``).

Revision ID: e4b8c2a61d07
Revises: e4a71b9c3d20
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4b8c2a61d07"
down_revision: str | None = "e4a71b9c3d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def _updated() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "updated_by_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("updated_at", _UTC, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "calendar_exceptions",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        *_updated(),
        sa.CheckConstraint(
            "kind IN ('holiday', 'workday')", name=op.f("ck_calendar_exceptions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["operators.id"],
            name=op.f("fk_calendar_exceptions_updated_by_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_exceptions")),
    )
    op.create_table(
        "line_schedules",
        sa.Column("line", sa.String(length=24), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("workdays", sa.String(length=16), nullable=False),
        *_updated(),
        sa.CheckConstraint(
            "line IN ('general', 'travel_priority', 'seller')",
            name=op.f("ck_line_schedules_line"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["operators.id"],
            name=op.f("fk_line_schedules_updated_by_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("line", name=op.f("pk_line_schedules")),
    )
    op.create_table(
        "queue_settings",
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("deadline_minutes", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        *_updated(),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["operators.id"],
            name=op.f("fk_queue_settings_updated_by_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("queue", name=op.f("pk_queue_settings")),
    )
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("totp_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enabled")
        batch.drop_column("totp_secret")
    op.drop_table("queue_settings")
    op.drop_table("line_schedules")
    op.drop_table("calendar_exceptions")
