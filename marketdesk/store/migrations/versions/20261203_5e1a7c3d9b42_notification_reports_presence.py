"""notifications: the provider's message id (delivery reports); customers' presence

Revision ID: 5e1a7c3d9b42
Revises: 7c2e9a4d5b13
Create Date: 2026-12-03 08:00:00.000000

``notifications.provider_id`` is the provider's id of a sent message (the SMS gateway's, for
its status callback; VK's message id). ``customer_presence`` is when a customer was last
seen in the widget's chat: an operator's reply after that is told to them by e-mail or push.
``ix_messages_created`` lets the worker find the replies of the last minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1a7c3d9b42"
down_revision: str | None = "7c2e9a4d5b13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("notifications", sa.Column("provider_id", sa.String(length=120), nullable=True))
    op.create_index("ix_notifications_provider", "notifications", ["channel", "provider_id"])
    op.create_table(
        "customer_presence",
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("seen_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_presence_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_presence")),
    )
    op.create_index("ix_messages_created", "messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_created", table_name="messages")
    op.drop_table("customer_presence")
    op.drop_index("ix_notifications_provider", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("provider_id")
