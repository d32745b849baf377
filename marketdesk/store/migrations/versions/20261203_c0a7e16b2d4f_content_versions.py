"""content: versions of articles, hints and templates; the lines a news item is for

Revision ID: c0a7e16b2d4f
Revises: 5e1b7c9a2d40
Create Date: 2026-12-03 08:00:00.000000

Content in the product (issue 16): ``content_versions`` keeps every version of a
knowledge-base article (or hint) and of an answer template edited in the console, the newest
one live; ``news.lines`` names the lines whose operators a news item is for (null: all).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0a7e16b2d4f"
down_revision: str | None = "5e1b7c9a2d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "content_versions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["operators.id"],
            name=op.f("fk_content_versions_author_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_versions")),
        sa.UniqueConstraint(
            "kind", "key", "version", name=op.f("uq_content_versions_kind_key_version")
        ),
    )
    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.create_index("ix_content_versions_kind_key", ["kind", "key"], unique=False)
    with op.batch_alter_table("news", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lines", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("news", schema=None) as batch_op:
        batch_op.drop_column("lines")
    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_content_versions_kind_key")
    op.drop_table("content_versions")
