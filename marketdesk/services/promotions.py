"""Promotions news for operators (seed 000: «Новости» in the WebCRM): search by title,
category and dates; filters all / unread / urgent / mandatory; read marks per operator."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from marketdesk.store.models import News, NewsRead, utcnow

from .chat_access import is_supervisor, operator_lines
from .customers import Coded
from .errors import InvalidDateRange, NewsNotFound, QueryTooLong
from .labels import NEWS_KIND_TITLES
from .principals import Principal

__all__ = [
    "NewsFilter",
    "NewsItem",
    "NewsPage",
    "lines_of",
    "mark_all_read",
    "mark_read",
    "news_categories",
    "normalize_title",
    "search_news",
]

NewsFilter = Literal["all", "unread", "urgent", "mandatory"]
MAX_QUERY_LENGTH = 200


def normalize_title(title: str) -> str:
    return title.lower().replace("ё", "е")


def lines_of(stored: str | None) -> list[str]:
    """The lines of ``News.lines`` (``",general,seller,"``); empty: every line."""
    return [line for line in (stored or "").split(",") if line]


async def _for_lines(session: AsyncSession, principal: Principal) -> list[ColumnElement[bool]]:
    """An operator sees the news for every line and for their own lines; a supervisor and an
    admin see all of it."""
    if is_supervisor(principal):
        return []
    mine = sorted(await operator_lines(session, principal.id))
    return [
        or_(
            News.lines.is_(None),
            News.lines == "",
            *[News.lines.like(f"%,{_escape_like(line)},%", escape="\\") for line in mine],
        )
    ]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class NewsItem(BaseModel):
    id: int
    kind: Coded
    title: str
    body: str
    category: str
    created_at: datetime
    edited_at: datetime | None
    starts_on: date | None
    ends_on: date | None
    urgent: bool
    mandatory: bool
    lines: list[str] = []
    read: bool
    read_at: datetime | None


class NewsPage(BaseModel):
    total: int
    unread: int
    unread_mandatory: int
    items: list[NewsItem]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def search_news(
    session: AsyncSession,
    principal: Principal,
    *,
    query: str | None = None,
    category: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    filter: NewsFilter = "all",
    limit: int = 50,
    offset: int = 0,
) -> NewsPage:
    principal.require_operator()
    operator_id = int(principal.id)
    if date_from and date_to and date_from > date_to:
        raise InvalidDateRange()
    if query is not None and len(query) > MAX_QUERY_LENGTH:
        raise QueryTooLong(limit=MAX_QUERY_LENGTH)
    mark = aliased(NewsRead)
    is_read = (
        exists().where(mark.news_id == News.id, mark.operator_id == operator_id).correlate(News)
    )
    visible = await _for_lines(session, principal)
    where: list[ColumnElement[bool]] = list(visible)
    if query and query.strip():
        pattern = f"%{_escape_like(normalize_title(query.strip()))}%"
        where.append(News.title_search.like(pattern, escape="\\"))
    if category:
        where.append(News.category == category)
    if date_from:
        where.append(News.created_at >= _day_start(date_from))
    if date_to and date_to < date.max:  # the last day there is: no upper bound
        where.append(News.created_at < _day_start(date_to + timedelta(days=1)))
    if filter == "unread":
        where.append(~is_read)
    elif filter == "urgent":
        where.append(News.urgent.is_(True))
    elif filter == "mandatory":
        where.append(News.mandatory.is_(True))

    total = await session.scalar(select(func.count(News.id)).where(*where))
    unread, unread_mandatory = (
        await session.execute(
            select(
                func.count(News.id),
                func.count(News.id).filter(News.mandatory.is_(True)),
            ).where(~is_read, *visible)
        )
    ).one()
    rows = await session.execute(
        select(News, NewsRead.read_at)
        .outerjoin(NewsRead, and_(NewsRead.news_id == News.id, NewsRead.operator_id == operator_id))
        .where(*where)
        .order_by(News.created_at.desc(), News.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return NewsPage(
        total=int(total or 0),
        unread=int(unread),
        unread_mandatory=int(unread_mandatory),
        items=[
            NewsItem(
                id=n.id,
                kind=Coded(code=n.kind, title=NEWS_KIND_TITLES[n.kind]),
                title=n.title,
                body=n.body,
                category=n.category,
                created_at=n.created_at,
                edited_at=n.edited_at,
                starts_on=n.starts_on,
                ends_on=n.ends_on,
                urgent=n.urgent,
                mandatory=n.mandatory,
                lines=lines_of(n.lines),
                read=read_at is not None,
                read_at=read_at,
            )
            for n, read_at in rows
        ],
    )


async def news_categories(session: AsyncSession, principal: Principal) -> list[str]:
    principal.require_operator()
    return list(await session.scalars(select(News.category).distinct().order_by(News.category)))


async def mark_read(session: AsyncSession, principal: Principal, news_id: int) -> datetime:
    """Idempotent: marking a read item again keeps the first read time."""
    principal.require_operator()
    operator_id = int(principal.id)
    if await session.get(News, news_id) is None:
        raise NewsNotFound(news_id=news_id)
    existing = await session.get(NewsRead, (news_id, operator_id))
    if existing is not None:
        return existing.read_at
    now = utcnow()
    session.add(NewsRead(news_id=news_id, operator_id=operator_id, read_at=now))
    try:
        await session.commit()
    except IntegrityError:  # the same operator marked it in another tab at the same moment
        await session.rollback()
        existing = await session.get(NewsRead, (news_id, operator_id))
        return existing.read_at if existing is not None else now
    return now


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    principal.require_operator()
    operator_id = int(principal.id)
    now = utcnow()
    unread = select(News.id).where(
        ~exists().where(NewsRead.news_id == News.id, NewsRead.operator_id == operator_id)
    )
    ids = list(await session.scalars(unread))
    if ids:
        await session.execute(
            insert(NewsRead),
            [{"news_id": i, "operator_id": operator_id, "read_at": now} for i in ids],
        )
    await session.commit()
    return len(ids)
