"""Promotions news (operators)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from marketdesk.services import promotions
from marketdesk.services.promotions import NewsFilter, NewsPage

from .deps import CurrentOperator, DbSession
from .types import BigId

router = APIRouter(prefix="/api/v1/news", tags=["news"])


class ReadMark(BaseModel):
    id: int
    read: bool
    read_at: datetime


class ReadAll(BaseModel):
    marked: int


class Categories(BaseModel):
    categories: list[str]


@router.get("", response_model=NewsPage)
async def search(
    operator: CurrentOperator,
    session: DbSession,
    q: Annotated[str | None, Query(max_length=200, description="слова из заголовка")] = None,
    category: Annotated[str | None, Query(max_length=120)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    filter: NewsFilter = "all",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NewsPage:
    return await promotions.search_news(
        session,
        operator,
        query=q,
        category=category,
        date_from=date_from,
        date_to=date_to,
        filter=filter,
        limit=limit,
        offset=offset,
    )


@router.get("/categories", response_model=Categories)
async def categories(operator: CurrentOperator, session: DbSession) -> Categories:
    return Categories(categories=await promotions.news_categories(session, operator))


@router.post("/read-all", response_model=ReadAll)
async def read_all(operator: CurrentOperator, session: DbSession) -> ReadAll:
    return ReadAll(marked=await promotions.mark_all_read(session, operator))


@router.post("/{news_id}/read", response_model=ReadMark)
async def read(
    news_id: Annotated[BigId, Path()], operator: CurrentOperator, session: DbSession
) -> ReadMark:
    read_at = await promotions.mark_read(session, operator, news_id)
    return ReadMark(id=news_id, read=True, read_at=read_at)
