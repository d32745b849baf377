"""The product card and product search (operators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from marketdesk.services import products
from marketdesk.services.products import ProductCard, ProductSearchPage

from .deps import CurrentOperator, DbSession
from .types import BigId

router = APIRouter(prefix="/api/v1/products", tags=["products"])


@router.get("", response_model=ProductSearchPage)
async def search(
    operator: CurrentOperator,
    session: DbSession,
    q: Annotated[str, Query(min_length=1, max_length=200, description="код или слова названия")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProductSearchPage:
    return await products.search_products(session, operator, q, limit=limit)


@router.get("/{code}", response_model=ProductCard)
async def get_product(
    code: Annotated[BigId, Path(description="код товара")],
    operator: CurrentOperator,
    session: DbSession,
) -> ProductCard:
    return await products.product_card(session, operator, code)
