"""notifications: the transactional outbox replaces sms_outbox; customers' settings

Revision ID: 9d4f2b6c1e58
Revises: 9d4b6a2e1c58
Create Date: 2026-12-02 17:00:00.000000

``sms_outbox`` was the ancestor: its rows move to ``notifications`` (type ``account``,
channel ``sms``; a pending one stays queued with its text, the others keep no text), then it
is dropped. ``notification_settings`` holds a customer's choice per type and channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4f2b6c1e58"
down_revision: str | None = "9d4b6a2e1c58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
TYPES = "type IN ('orders', 'goods', 'marketing', 'reviews', 'account', 'service_rating')"
CHANNELS = "channel IN ('sms', 'push', 'center', 'email', 'vk', 'ok')"
STATUSES = "status IN ('queued', 'sent', 'delivered', 'failed', 'expired')"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=True),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=True),
        sa.Column("template", sa.String(length=120), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.Column("failed_at", TZ, nullable=True),
        sa.CheckConstraint(TYPES, name=op.f("ck_notifications_type_allowed")),
        sa.CheckConstraint(CHANNELS, name=op.f("ck_notifications_channel_allowed")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_notifications_status_allowed")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notifications_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notifications_idempotency_key")),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_customer", "notifications", ["customer_id", "id"])
    op.create_index("ix_notifications_created", "notifications", ["created_at"])
    op.create_table(
        "notification_settings",
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint(TYPES, name=op.f("ck_notification_settings_type_allowed")),
        sa.CheckConstraint(CHANNELS, name=op.f("ck_notification_settings_channel_allowed")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_notification_settings_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "type", "channel", name=op.f("pk_notification_settings")
        ),
    )
    op.execute(
        "INSERT INTO notifications (customer_id, type, event, channel, address, sender, "
        "template, subject, body, secret, status, attempts, next_attempt_at, expires_at, "
        "idempotency_key, error, created_at, sent_at) "
        "SELECT NULL, 'account', "
        "CASE kind WHEN 'certificate' THEN 'certificate_issued' ELSE 'login_code' END, "
        "'sms', phone, NULL, "
        "CASE kind WHEN 'certificate' THEN 'account/certificate_issued.sms' "
        "ELSE 'account/login_code.sms' END, "
        "NULL, CASE status WHEN 'pending' THEN text ELSE NULL END, TRUE, "
        "CASE status WHEN 'pending' THEN 'queued' ELSE status END, attempts, "
        "next_attempt_at, NULL, 'sms_outbox:' || CAST(id AS VARCHAR(20)), NULL, "
        "created_at, sent_at FROM sms_outbox"
    )
    op.drop_table("sms_outbox")


def downgrade() -> None:
    op.create_table(
        "sms_outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'expired')", name=op.f("ck_sms_outbox_status_allowed")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    op.create_index("ix_sms_outbox_created", "sms_outbox", ["created_at"])
    op.create_index("ix_sms_outbox_status", "sms_outbox", ["status", "next_attempt_at"])
    op.execute(
        "INSERT INTO sms_outbox (phone, text, kind, status, attempts, next_attempt_at, "
        "created_at, sent_at) SELECT address, "
        "CASE status WHEN 'queued' THEN body ELSE NULL END, "
        "CASE event WHEN 'certificate_issued' THEN 'certificate' ELSE 'login_code' END, "
        "CASE status WHEN 'queued' THEN 'pending' WHEN 'sent' THEN 'sent' "
        "WHEN 'delivered' THEN 'sent' ELSE 'expired' END, attempts, next_attempt_at, "
        "created_at, sent_at FROM notifications WHERE channel = 'sms' "
        "AND event IN ('login_code', 'certificate_issued')"
    )
    op.drop_table("notification_settings")
    op.drop_index("ix_notifications_created", table_name="notifications")
    op.drop_index("ix_notifications_customer", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
