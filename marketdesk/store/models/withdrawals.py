"""A customer's withdrawal request with the bank details it goes to (seed 001: «Введите
реквизиты счета, на который хотите вывести деньги»)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import one_of

__all__ = ["WITHDRAWAL_STATUSES", "WithdrawalRequest"]

WITHDRAWAL_STATUSES = ("accepted", "paid", "rejected")


class WithdrawalRequest(Base):
    """The money left the balance (``balance_entry_id``, source «withdrawal») and waits to be
    paid out to ``account`` at the bank ``bik``. The account number is kept whole for the
    payment; every view and the audit show it masked (``domain.bank_account.mask_account``)."""

    __tablename__ = "withdrawal_requests"
    __table_args__ = (
        one_of("status", WITHDRAWAL_STATUSES),
        Index("ix_withdrawal_requests_customer", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    balance_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("balance_entries.id", ondelete="SET NULL")
    )
    amount: Mapped[int] = mapped_column(BigInteger)  # kopecks
    recipient: Mapped[str] = mapped_column(String(200))
    bik: Mapped[str] = mapped_column(String(9))
    account: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="accepted")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
