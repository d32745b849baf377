"""room for sealed TOTP secrets

Revision ID: 5c1e8d7a3b92
Revises: 9f3b6d2e8a41
Create Date: 2026-12-05 05:20:00.000000

The operators' TOTP secrets are kept sealed (``services.sealing``: AES-GCM, the nonce and
the tag with the secret, base64): 88 characters for a 32-character secret, where the column
held 64. Secrets stored before stay as they are and are sealed at the operator's next login.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e8d7a3b92"
down_revision: str | None = "9f3b6d2e8a41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=128),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
