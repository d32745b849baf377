"""Answer hints for operators («Подсказки» of seed 000): search, and browse by section →
situation → template. The knowledge base is the bot's (``app.state.bot``), so a reload of the
articles shows here at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.bot import Bot
from marketdesk.kb.articles import Article
from marketdesk.services.errors import KnowledgeBaseUnavailable
from marketdesk.services.hint_context import hint_context

from .deps import CurrentOperator, DbSession
from .types import BigId

router = APIRouter(prefix="/api/v1/hints", tags=["hints"])


class HintView(BaseModel):
    id: str
    slug: str
    title: str
    section: str
    situation: str
    body: str
    audience: str
    internal_note: str
    score: float | None = None


class HintQuery(BaseModel):
    """A customer's message to find hints for. It travels in the body, not in the URL, so that
    what customers type (card, phone, passport numbers) stays out of access logs."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000, description="сообщение клиента")
    limit: int = Field(default=3, ge=1, le=10)
    conversation_id: BigId | None = Field(
        default=None, description="диалог: его тема и прежние сообщения"
    )
    customer_id: BigId | None = Field(default=None, description="клиент: бан купонов, вид клиента")


class HintPage(BaseModel):
    query: str
    hints: list[HintView]


class Situation(BaseModel):
    title: str
    hints: list[HintView]


class Section(BaseModel):
    title: str
    situations: list[Situation]


class HintTree(BaseModel):
    sections: list[Section]


class TopicTitles(BaseModel):
    topics: dict[str, str]


def _bot(request: Request) -> Bot:
    bot = getattr(request.app.state, "bot", None)
    if bot is None:
        raise KnowledgeBaseUnavailable()
    return bot  # type: ignore[no-any-return]


def article_id(article: Article) -> str:
    """A stable id per article (hints share their topic's slug): the file name."""
    if article.path is not None:
        return article.path.stem
    return f"{article.slug}:{article.title}"


def _view(article: Article, score: float | None = None) -> HintView:
    return HintView(
        id=article_id(article),
        slug=article.slug,
        title=article.title,
        section=article.section,
        situation=article.situation,
        body=article.body,
        audience=article.audience,
        internal_note=article.internal_note,
        score=None if score is None else round(score, 3),
    )


@router.post("", response_model=HintPage)
async def search_hints(
    request: Request, operator: CurrentOperator, session: DbSession, body: HintQuery
) -> HintPage:
    """The top hints for a customer's message: operator hints that fit first, then answers.
    With ``conversation_id`` and ``customer_id`` they are ranked in the case's context: its
    topic and earlier messages, the coupon-ban decision, the line and the customer's kind."""
    q, limit = body.text, body.limit
    bot = _bot(request)
    context = None
    if body.conversation_id is not None or body.customer_id is not None:
        context = await hint_context(
            session,
            operator,
            conversation_id=body.conversation_id,
            customer_id=body.customer_id,
        )
    by_key: dict[tuple[str, str, str], Article] = {
        (a.slug, a.title, a.audience): a for a in bot.articles
    }
    out: list[HintView] = []
    for hint in bot.hints(q, k=limit, context=context):
        article = by_key.get((hint.slug, hint.title, hint.audience))
        if article is not None:
            out.append(_view(article, hint.score))
    return HintPage(query=q, hints=out)


@router.get("/tree", response_model=HintTree)
async def hint_tree(request: Request, operator: CurrentOperator) -> HintTree:
    """Operator hints grouped section → situation, in a stable (alphabetical) order."""
    bot = _bot(request)
    sections: dict[str, dict[str, list[HintView]]] = {}
    for article in bot.articles:
        if article.audience != "operator" or not article.section:
            continue
        situation = article.situation or article.title
        sections.setdefault(article.section, {}).setdefault(situation, []).append(_view(article))
    result: list[Any] = []
    for title in sorted(sections):
        situations = sections[title]
        result.append(
            Section(
                title=title,
                situations=[
                    Situation(title=s, hints=sorted(situations[s], key=lambda h: h.title))
                    for s in sorted(situations)
                ],
            )
        )
    return HintTree(sections=result)


@router.get("/topics", response_model=TopicTitles)
async def topic_titles(request: Request, operator: CurrentOperator) -> TopicTitles:
    """Titles of the bot's topics by slug (a conversation's ``topic`` shown in words)."""
    bot = _bot(request)
    titles = {slug: t.title for slug, t in (bot.topics or {}).items() if t.title}
    # the title of the customer-facing article reads better than the topic's description
    titles.update({a.slug: a.title for a in bot.articles if a.audience != "operator"})
    return TopicTitles(topics=dict(sorted(titles.items())))
