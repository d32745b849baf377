"""Gift certificates; the code itself is never stored, only its hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import CERTIFICATE_KINDS, CERTIFICATE_STATUSES, one_of

__all__ = ["GiftCertificate"]


class GiftCertificate(Base):
    __tablename__ = "gift_certificates"
    __table_args__ = (
        one_of("kind", CERTIFICATE_KINDS),
        one_of("status", CERTIFICATE_STATUSES),
        Index("ix_gift_certificates_customer_activated", "activated_by", "activated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_tail: Mapped[str] = mapped_column(String(8))  # last characters, to recognise a code
    nominal: Mapped[int] = mapped_column(BigInteger)  # kopecks
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="issued")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL")
    )
