"""Promotions news: operators read it; supervisors and admins write it (issue 16: create,
edit, and a live ``news_published`` frame to the operators it is for)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from marketdesk.services import promotions
from marketdesk.services.content.news import (
    NewsChange,
    NewsInput,
    NewsSaved,
    create_news,
    update_news,
)
from marketdesk.services.promotions import NewsFilter, NewsPage

from .deps import CurrentOperator, DbSession, publisher_of
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


@router.post("", response_model=NewsSaved, status_code=201)
async def create(
    request: Request, body: NewsInput, operator: CurrentOperator, session: DbSession
) -> NewsSaved:
    """A news item (supervisors and admins); the operators it is for hear of it at once."""
    return await create_news(session, operator, body, publisher_of(request))


@router.patch("/{news_id}", response_model=NewsSaved)
async def edit(
    request: Request,
    news_id: Annotated[BigId, Path()],
    body: NewsChange,
    operator: CurrentOperator,
    session: DbSession,
) -> NewsSaved:
    """Change the fields given (supervisors and admins)."""
    return await update_news(session, operator, news_id, body, publisher_of(request))


@router.put("/{news_id}", response_model=NewsSaved)
async def replace(
    request: Request,
    news_id: Annotated[BigId, Path()],
    body: NewsInput,
    operator: CurrentOperator,
    session: DbSession,
) -> NewsSaved:
    """Replace every field (supervisors and admins)."""
    change = NewsChange(**body.model_dump())
    return await update_news(session, operator, news_id, change, publisher_of(request))
