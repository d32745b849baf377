"""The marketplace's side: scoped API keys for its integration, the links between its own ids
and ours, the bulk import's checkpoints and the tombstones of forgotten customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow

__all__ = ["ApiKey", "CustomerTombstone", "ImportCheckpoint", "SyncLink"]


class ApiKey(Base):
    """A key of an integration (``marketdesk apikey create NAME --scope sync``): only the
    SHA-256 of the token is stored, and its first characters to tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scope: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncLink(Base):
    """The marketplace's own id of a record that has an id of ours (a seller, a balance
    entry, a certificate): the key the sync upserts by."""

    __tablename__ = "sync_links"

    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    local_id: Mapped[int] = mapped_column(BigInteger)


class ImportCheckpoint(Base):
    """How far ``marketdesk import`` got with a file (its size and mtime say it is the same
    file): the next run starts after ``done`` records."""

    __tablename__ = "import_checkpoints"

    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    fingerprint: Mapped[str] = mapped_column(String(100))
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    stored: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerTombstone(Base):
    """A customer whose personal data was erased (the right to be forgotten): what was erased,
    when and at whose request. A later sync of the same id stores no personal data again."""

    __tablename__ = "customer_tombstones"
    __table_args__ = (Index("ix_customer_tombstones_at", "forgotten_at"),)

    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    erased: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
