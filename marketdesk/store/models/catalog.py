"""Sellers, products, warehouses and stock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime, utcnow
from .values import SALE_SCHEMES, one_of

__all__ = ["Product", "ProductNominal", "Seller", "Stock", "Warehouse"]

GOODS_GROUPS = (
    "electronics",
    "appliances",
    "personal_hygiene",
    "jewelry",
    "second_hand_books",
    "food",
    "gift_cards",
    "other",
)


class Seller(Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        one_of("sale_scheme", SALE_SCHEMES),
        one_of("goods_group", GOODS_GROUPS),
        CheckConstraint("markdown_grade IS NULL OR markdown_grade BETWEEN 1 AND 7", name="grade"),
        CheckConstraint("price >= 0 AND discount >= 0 AND discount <= price", name="price"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(500))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    category_path: Mapped[str] = mapped_column(String(500))
    sale_scheme: Mapped[str] = mapped_column(String(16))
    goods_group: Mapped[str] = mapped_column(String(24), default="other")
    special_category: Mapped[str | None] = mapped_column(String(64))
    # ordered [name, value] pairs, as the product card shows them
    attributes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    price: Mapped[int] = mapped_column(BigInteger)  # kopecks, before discount
    discount: Mapped[int] = mapped_column(BigInteger, default=0)  # kopecks
    markdown_grade: Mapped[int | None] = mapped_column(Integer)
    markdown_reason: Mapped[str | None] = mapped_column(Text)
    package_length_mm: Mapped[int | None] = mapped_column(Integer)
    package_width_mm: Mapped[int | None] = mapped_column(Integer)
    package_height_mm: Mapped[int | None] = mapped_column(Integer)
    weight_g: Mapped[int | None] = mapped_column(Integer)
    return_check_days: Mapped[int | None] = mapped_column(Integer)
    return_days: Mapped[int | None] = mapped_column(Integer)
    warranty_months: Mapped[int | None] = mapped_column(Integer)
    # «Ошибка описания» fixed (a task resolved ``corrected``): when and by whom
    description_corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description_corrected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductNominal(Base):
    """Nominals a gift-certificate product is sold in (seed 000: 500 … 1 000 000 ₽)."""

    __tablename__ = "product_nominals"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    nominal: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # kopecks


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity"),)

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
