"""Promotions news written in the console (issue 16): supervisors and admins create and edit
an item (kind, title, the body with the promotion's conditions, category, the dates it runs,
urgent, mandatory, the lines it is for). After the commit a ``news_published`` frame goes to
the operator sockets of every active operator it is for (docs/protocol.md): a mandatory item
opens the mandatory-news window of operators logged in anywhere, at once."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.lines import Line
from marketdesk.domain.roles import Role
from marketdesk.store.models import News, Operator, OperatorLine, utcnow

from .. import audit
from ..chat.events import Publisher, operator_channel
from ..chat.sla_watch import supervisor_ids
from ..errors import InvalidDateRange, InvalidNewsLines, NewsNotFound
from ..labels import NEWS_KIND_TITLES
from ..principals import Principal
from ..promotions import lines_of, normalize_title

__all__ = ["NewsChange", "NewsInput", "NewsSaved", "create_news", "update_news"]

NewsKind = Literal["promotion", "news", "instruction"]


class NewsInput(BaseModel):
    """A news item as the list shows it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: NewsKind = "promotion"
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20_000, description="текст и условия акции")
    category: str = Field(min_length=1, max_length=120)
    starts_on: date | None = None
    ends_on: date | None = None
    urgent: bool = False
    mandatory: bool = False
    lines: list[str] = Field(default=[], max_length=10, description="пусто: все линии")


class NewsChange(BaseModel):
    """Only the fields given change (PATCH)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: NewsKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=20_000)
    category: str | None = Field(default=None, min_length=1, max_length=120)
    starts_on: date | None = None
    ends_on: date | None = None
    urgent: bool | None = None
    mandatory: bool | None = None
    lines: list[str] | None = Field(default=None, max_length=10)


class NewsSaved(BaseModel):
    id: int
    kind: str
    kind_title: str
    title: str
    body: str
    category: str
    starts_on: date | None
    ends_on: date | None
    urgent: bool
    mandatory: bool
    lines: list[str]
    notified: int  # operators the live frame went to


def _stored_lines(lines: list[str]) -> str | None:
    known = {line.value for line in Line}
    if any(line not in known for line in lines):
        raise InvalidNewsLines(known=", ".join(sorted(known)))
    return ("," + ",".join(sorted(set(lines))) + ",") if lines else None


def _check_dates(news: News) -> None:
    if news.starts_on and news.ends_on and news.starts_on > news.ends_on:
        raise InvalidDateRange()


async def _audience(session: AsyncSession, lines: list[str]) -> list[int]:
    """The active operators a news item is for: everyone, or those of its lines and the
    supervisors and admins."""
    query = select(Operator.id).where(Operator.is_active.is_(True))
    ids = {int(i) for i in await session.scalars(query)}
    if not lines:
        return sorted(ids)
    of_lines = {
        int(i)
        for i in await session.scalars(
            select(OperatorLine.operator_id).where(OperatorLine.line.in_(lines))
        )
    }
    return sorted(ids & (of_lines | set(await supervisor_ids(session))))


def _saved(news: News, notified: int) -> NewsSaved:
    return NewsSaved(
        id=news.id,
        kind=news.kind,
        kind_title=NEWS_KIND_TITLES[news.kind],
        title=news.title,
        body=news.body,
        category=news.category,
        starts_on=news.starts_on,
        ends_on=news.ends_on,
        urgent=news.urgent,
        mandatory=news.mandatory,
        lines=lines_of(news.lines),
        notified=notified,
    )


async def _publish(
    session: AsyncSession, news: News, publish: Publisher | None, event: str
) -> tuple[list[int], dict[str, Any]]:
    to = await _audience(session, lines_of(news.lines)) if publish is not None else []
    frame = {
        "type": "news_published",
        "event": event,
        "news": {
            "id": news.id,
            "title": news.title,
            "kind": news.kind,
            "urgent": news.urgent,
            "mandatory": news.mandatory,
        },
    }
    return to, frame


async def create_news(
    session: AsyncSession, actor: Principal, data: NewsInput, publish: Publisher | None
) -> NewsSaved:
    actor.require_operator(Role.SUPERVISOR)
    news = News(
        kind=data.kind,
        title=data.title,
        title_search=normalize_title(data.title),
        body=data.body,
        category=data.category,
        created_at=utcnow(),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        urgent=data.urgent,
        mandatory=data.mandatory,
        lines=_stored_lines(data.lines),
    )
    _check_dates(news)
    session.add(news)
    await session.flush()
    audit.record(
        session,
        actor,
        "news.created",
        entity_kind="news",
        entity_id=news.id,
        title=news.title,
        mandatory=news.mandatory,
        urgent=news.urgent,
    )
    to, frame = await _publish(session, news, publish, "created")
    await session.commit()
    if publish is not None and to:
        await publish([operator_channel(i) for i in to], frame)
    return _saved(news, len(to))


async def update_news(
    session: AsyncSession,
    actor: Principal,
    news_id: int,
    change: NewsChange,
    publish: Publisher | None,
) -> NewsSaved:
    actor.require_operator(Role.SUPERVISOR)
    news = await session.get(News, news_id)
    if news is None:
        raise NewsNotFound(news_id=news_id)
    given = change.model_dump(exclude_unset=True)
    for field in ("kind", "title", "body", "category", "urgent", "mandatory"):
        if given.get(field) is not None:
            setattr(news, field, given[field])
    for field in ("starts_on", "ends_on"):  # null clears a date
        if field in given:
            setattr(news, field, given[field])
    if change.lines is not None:
        news.lines = _stored_lines(change.lines)
    _check_dates(news)
    news.title_search = normalize_title(news.title)
    news.edited_at = utcnow()
    audit.record(
        session,
        actor,
        "news.edited",
        entity_kind="news",
        entity_id=news.id,
        fields=sorted(given),
    )
    to, frame = await _publish(session, news, publish, "edited")
    await session.commit()
    if publish is not None and to:
        await publish([operator_channel(i) for i in to], frame)
    return _saved(news, len(to))
