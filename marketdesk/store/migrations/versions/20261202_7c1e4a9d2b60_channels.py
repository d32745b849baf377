"""channels: contacts, inbound and the delivery outbox

Revision ID: 7c1e4a9d2b60
Revises: 3e8a5c7d1f40
Create Date: 2026-12-02 20:17:43.775577

The outside channels (issue 12): a customer's address in e-mail, Telegram or VK
(``channel_contacts``, and the conversation's ``channel_contact_id``), the inbound messages
already taken (``channel_inbound``: a repeat stores nothing), and the outbox of what goes out
through them (``channel_deliveries``, written in the message's own transaction).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e4a9d2b60"
down_revision: str | None = "3e8a5c7d1f40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_contacts",
        sa.Column(
            "id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("visitor_id", sa.String(length=36), nullable=False),
        sa.Column(
            "customer_id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.Column("linked_by", sa.String(length=16), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('web', 'email', 'telegram', 'vk')",
            name=op.f("ck_channel_contacts_channel_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_channel_contacts_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitors.id"],
            name=op.f("fk_channel_contacts_visitor_id_visitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_contacts")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_channel_contacts_channel_address")),
    )
    with op.batch_alter_table("channel_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_channel_contacts_customer", ["customer_id"], unique=False)

    op.create_table(
        "channel_deliveries",
        sa.Column(
            "id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "message_id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "conversation_id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('web', 'email', 'telegram', 'vk')",
            name=op.f("ck_channel_deliveries_channel_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_channel_deliveries_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_channel_deliveries_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_channel_deliveries_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_channel_deliveries_message_id")),
    )
    with op.batch_alter_table("channel_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_channel_deliveries_conversation", ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_channel_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_channel_deliveries_external", ["channel", "external_id"], unique=False
        )

    op.create_table(
        "channel_inbound",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column(
            "conversation_id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "message_id",
            sa.BigInteger()
            .with_variant(sa.BIGINT(), "postgresql")
            .with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_channel_inbound_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_channel_inbound_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_channel_inbound")),
    )
    with op.batch_alter_table("channel_inbound", schema=None) as batch_op:
        batch_op.create_index("ix_channel_inbound_conversation", ["conversation_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel_contact_id",
                sa.BigInteger()
                .with_variant(sa.BIGINT(), "postgresql")
                .with_variant(sa.INTEGER(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_conversations_channel_contact", ["channel_contact_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_conversations_channel_contact_id_channel_contacts"),
            "channel_contacts",
            ["channel_contact_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_conversations_channel_contact_id_channel_contacts"), type_="foreignkey"
        )
        batch_op.drop_index("ix_conversations_channel_contact")
        batch_op.drop_column("channel_contact_id")

    with op.batch_alter_table("channel_inbound", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_inbound_conversation")

    op.drop_table("channel_inbound")
    with op.batch_alter_table("channel_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_deliveries_external")
        batch_op.drop_index("ix_channel_deliveries_due")
        batch_op.drop_index("ix_channel_deliveries_conversation")

    op.drop_table("channel_deliveries")
    with op.batch_alter_table("channel_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_contacts_customer")

    op.drop_table("channel_contacts")
