"""Marking a product down (seed 000): the grade gives the reason and the discount; excluded
categories and grades 6–7 outside their price bands and goods groups are refused."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.markdown import GoodsGroup, check_markdown, markdown_grade
from marketdesk.domain.roles import Role
from marketdesk.store.models import Product

from . import audit
from .errors import MARKDOWN_REFUSALS, InvalidMarkdownReason, MarkdownRefused, ProductNotFound
from .principals import Principal

__all__ = ["MarkdownRefused", "MarkdownResult", "set_markdown"]


class MarkdownResult(BaseModel):
    product_id: int
    grade: int
    grade_reason: str
    reason: str
    discount_percent: int


async def set_markdown(
    session: AsyncSession, actor: Principal, product_id: int, grade: int, reason: str
) -> MarkdownResult:
    actor.require_operator(Role.SUPERVISOR, Role.BACKOFFICE)
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id=product_id)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidMarkdownReason()
    verdict = check_markdown(GoodsGroup(product.goods_group), grade, product.price)
    audit.record(
        session,
        actor,
        "markdown.decision",
        entity_kind="product",
        entity_id=product_id,
        grade=grade,
        allowed=verdict.allowed,
        code=str(verdict.code),
    )
    if not verdict.allowed:
        await session.commit()
        raise MARKDOWN_REFUSALS[verdict.code](reason=verdict.message_ru)
    row = markdown_grade(grade)
    product.markdown_grade = grade
    product.markdown_reason = reason
    await session.commit()
    return MarkdownResult(
        product_id=product_id,
        grade=grade,
        grade_reason=row.reason_ru,
        reason=reason,
        discount_percent=row.discount_percent,
    )
