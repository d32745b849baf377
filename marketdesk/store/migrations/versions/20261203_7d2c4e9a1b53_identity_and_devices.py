"""codewords, identity checks, the «Безопасность» chat, the sessions' devices

Revision ID: 7d2c4e9a1b53
Revises: 7a3d5c1e9b28
Create Date: 2026-12-03 14:00:00.000000

Issue 14, items 4 and 5: a customer's codeword (argon2 hash, misses, lock), the operators'
checks of it per conversation, the messages of the customer's «Безопасность» chat (login
codes), and the device of each session for the customer's list of devices.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2c4e9a1b53"
down_revision: str | None = "7a3d5c1e9b28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_codewords",
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("word_hash", sa.String(length=200), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_codewords_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_codewords")),
    )
    op.create_table(
        "identity_checks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("conversation_id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("operator_id", BIG_ID, nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_identity_checks_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_identity_checks_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_identity_checks_operator_id_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
    )
    op.create_index(
        "ix_identity_checks_conversation",
        "identity_checks",
        ["conversation_id", "passed"],
        unique=False,
    )
    op.create_table(
        "security_messages",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("login_code_id", BIG_ID, nullable=True),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_security_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["login_code_id"],
            ["login_codes.id"],
            name=op.f("fk_security_messages_login_code_id_login_codes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_messages")),
    )
    op.create_index(
        "ix_security_messages_customer",
        "security_messages",
        ["customer_id", "id"],
        unique=False,
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=120), nullable=True))
        batch_op.create_index("ix_sessions_customer", ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_customer")
        batch_op.drop_column("device")
    op.drop_index("ix_security_messages_customer", table_name="security_messages")
    op.drop_table("security_messages")
    op.drop_index("ix_identity_checks_conversation", table_name="identity_checks")
    op.drop_table("identity_checks")
    op.drop_table("customer_codewords")
