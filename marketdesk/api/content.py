"""The console's «Управление» (issue 16): knowledge-base articles and operator hints, with
their versions, the evaluation gate and rollback; the answer templates of task results and
notifications (supervisors and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services.content import articles, templates
from marketdesk.services.content.articles import ArticleDetail, ArticleSummary, KbPlace, SaveResult
from marketdesk.services.content.evaluation import Comparison
from marketdesk.services.content.templates import (
    TemplateDetail,
    TemplatePlace,
    TemplateSaved,
    TemplateSummary,
)
from marketdesk.services.errors import KnowledgeBaseUnavailable
from marketdesk.settings import Settings

from .deps import CurrentOperator, DbSession

router = APIRouter(prefix="/api/v1/content", tags=["content"])

ArticleKey = Annotated[str, Path(min_length=1, max_length=80, description="имя файла статьи")]


class ArticleList(BaseModel):
    articles: list[ArticleSummary]


class ArticleText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=60_000, description="статья: front matter и текст")


class ArticleSave(ArticleText):
    confirm: bool = Field(default=False, description="сохранить, даже если оценка бота упала")
    note: str = Field(default="", max_length=300, description="что изменено")


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=1_000_000, description="версия; 0 — исходный файл")
    confirm: bool = False


def _place(request: Request) -> KbPlace:
    bot = getattr(request.app.state, "bot", None)
    if bot is None:
        raise KnowledgeBaseUnavailable()
    settings: Settings = request.app.state.settings
    return KbPlace(
        bot=bot,
        data_dir=settings.ensure_data_dir(),
        overlay=settings.kb_edits_dir(),
        eval_sets=settings.kb_eval_set_list(),
    )


@router.get("/articles", response_model=ArticleList)
async def list_articles(
    request: Request, operator: CurrentOperator, session: DbSession
) -> ArticleList:
    """Every article and hint the bot has now, with its version (0: the seed file)."""
    return ArticleList(articles=await articles.list_articles(session, operator, _place(request)))


@router.get("/articles/{key}", response_model=ArticleDetail)
async def article(
    request: Request, key: ArticleKey, operator: CurrentOperator, session: DbSession
) -> ArticleDetail:
    """The live text of an article and its versions, newest first."""
    return await articles.article_detail(session, operator, _place(request), key)


@router.post("/articles/{key}/check", response_model=Comparison)
async def check(
    request: Request, key: ArticleKey, body: ArticleText, operator: CurrentOperator
) -> Comparison:
    """What saving would do, without saving: ``kb check`` and the evaluation before/after."""
    return await articles.try_article(operator, _place(request), key, body.text)


@router.put("/articles/{key}", response_model=SaveResult)
async def save(
    request: Request,
    key: ArticleKey,
    body: ArticleSave,
    operator: CurrentOperator,
    session: DbSession,
) -> SaveResult:
    """Save a new version and make it live; a drop of the evaluation is refused (409
    ``evaluation_dropped`` with the figures) unless ``confirm``."""
    return await articles.save_article(
        session, operator, _place(request), key, body.text, confirm=body.confirm, note=body.note
    )


@router.post("/articles/{key}/rollback", response_model=SaveResult)
async def rollback(
    request: Request,
    key: ArticleKey,
    body: Rollback,
    operator: CurrentOperator,
    session: DbSession,
) -> SaveResult:
    """Make an earlier version live again, checked like an edit."""
    return await articles.rollback_article(
        session, operator, _place(request), key, body.version, confirm=body.confirm
    )


# ---------------------------------------------------------------------- answer templates
TemplateKey = Annotated[
    str, Path(min_length=1, max_length=120, pattern=r"^[a-z0-9_.]+$", description="шаблон")
]


class TemplateList(BaseModel):
    templates: list[TemplateSummary]


class TemplateSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    note: str = Field(default="", max_length=300)


class TemplateRollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=1_000_000, description="версия; 0 — исходный текст")


def _templates(request: Request) -> TemplatePlace:
    settings: Settings = request.app.state.settings
    return TemplatePlace(settings.notify_templates_dir, settings.notify_templates_overlay())


@router.get("/templates", response_model=TemplateList)
async def list_templates(
    request: Request, operator: CurrentOperator, session: DbSession
) -> TemplateList:
    """The answer templates: the results of tasks and the notifications, with their version."""
    return TemplateList(
        templates=await templates.list_templates(session, operator, _templates(request))
    )


@router.get("/templates/{key}", response_model=TemplateDetail)
async def template(
    request: Request, key: TemplateKey, operator: CurrentOperator, session: DbSession
) -> TemplateDetail:
    return await templates.template_detail(session, operator, _templates(request), key)


@router.put("/templates/{key}", response_model=TemplateSaved)
async def save_template(
    request: Request,
    key: TemplateKey,
    body: TemplateSave,
    operator: CurrentOperator,
    session: DbSession,
) -> TemplateSaved:
    """A new version, live at once; only the seed's placeholders may be used."""
    return await templates.save_template(
        session, operator, _templates(request), key, body.text, note=body.note
    )


@router.post("/templates/{key}/rollback", response_model=TemplateSaved)
async def rollback_template(
    request: Request,
    key: TemplateKey,
    body: TemplateRollback,
    operator: CurrentOperator,
    session: DbSession,
) -> TemplateSaved:
    return await templates.rollback_template(
        session, operator, _templates(request), key, body.version
    )
