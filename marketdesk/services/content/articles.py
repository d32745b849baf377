"""Knowledge-base articles and operator hints edited in the console (issue 16).

The files of ``MARKETDESK_KB_DIR`` (``content/kb``) are the seed; every edit is a new row of
``content_versions`` (kind ``article``, the file name as the key), the newest one live. The
live text of an edited article is also written to ``<data dir>/kb-edits/<key>.md``, which the
bot reads over the seed (``Bot(overlay_dir=...)``); then every server process on the data dir
is told to re-read the knowledge base (``kb.reload``, ``workers.kb_watch``). Before an edit
goes live it passes ``content.evaluation``: ``kb check``, and the evaluation sets must not
drop unless the editor confirms. A rollback is a new version with an old text, checked the
same way. Hints («Подсказки») are the articles for operators (``audience: operator``) with
their ``section`` and ``situation``: the same store."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.bot import Bot
from marketdesk.kb.articles import article_files, parse_article
from marketdesk.kb.reload import request_reload
from marketdesk.store.models import ContentVersion, utcnow

from .. import audit
from ..errors import (
    ArticleInvalid,
    ArticleNotFound,
    ContentChanged,
    ContentVersionNotFound,
    EvaluationDropped,
    InvalidContentKey,
)
from ..principals import Principal
from . import versions
from .evaluation import Candidate, Comparison, check_candidate
from .templates import TemplatePlace, restore_templates

__all__ = [
    "ArticleDetail",
    "ArticleSummary",
    "KbPlace",
    "SaveResult",
    "VersionView",
    "article_detail",
    "edited_versions",
    "list_articles",
    "restore_kb_edits",
    "restore_overlay",
    "rollback_article",
    "save_article",
    "try_article",
]

log = logging.getLogger("marketdesk.content")

KIND = "article"
MAX_TEXT = 60_000
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class KbPlace(BaseModel):
    """Where the running bot's articles are: the seed, the edits, the evaluation sets."""

    model_config = {"arbitrary_types_allowed": True}

    bot: Any
    data_dir: Path
    overlay: Path
    eval_sets: list[Path]


class ArticleSummary(BaseModel):
    key: str
    slug: str
    title: str
    audience: str
    section: str
    situation: str
    version: int  # 0: the seed file, never edited


class VersionView(BaseModel):
    version: int
    created_at: datetime
    author: str | None
    note: str
    confirmed_drop: bool


class ArticleDetail(BaseModel):
    key: str
    text: str
    version: int
    versions: list[VersionView]
    seed: bool  # the key has a file in the seed


class SaveResult(BaseModel):
    key: str
    version: int
    comparison: Comparison


def _valid_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidContentKey()
    return key


def _seed_path(place: KbPlace, key: str) -> Path | None:
    bot: Bot = place.bot
    assert bot.kb_dir is not None
    return next((p for p in article_files(bot.kb_dir) if p.stem == key), None)


async def list_articles(
    session: AsyncSession, principal: Principal, place: KbPlace
) -> list[ArticleSummary]:
    versions.require_editor(principal)
    edited = await edited_versions(session)
    bot: Bot = place.bot
    out: list[ArticleSummary] = []
    for article in bot.articles:
        key = article.path.stem if article.path is not None else article.slug
        out.append(
            ArticleSummary(
                key=key,
                slug=article.slug,
                title=article.title,
                audience=article.audience,
                section=article.section,
                situation=article.situation,
                version=edited.get(key, 0),
            )
        )
    return sorted(out, key=lambda a: (a.audience, a.section, a.situation, a.title, a.key))


async def edited_versions(session: AsyncSession) -> dict[str, int]:
    return await versions.newest_numbers(session, KIND)


async def article_detail(
    session: AsyncSession, principal: Principal, place: KbPlace, key: str
) -> ArticleDetail:
    versions.require_editor(principal)
    _valid_key(key)
    rows = await versions.history(session, KIND, key)
    seed = _seed_path(place, key)
    if rows:
        text = rows[0].text
    elif seed is not None:
        text = seed.read_text(encoding="utf-8")
    else:
        raise ArticleNotFound(key=key)
    authors = await versions.authors(session, rows)
    return ArticleDetail(
        key=key,
        text=text,
        version=rows[0].version if rows else 0,
        seed=seed is not None,
        versions=[
            VersionView(
                version=r.version,
                created_at=r.created_at,
                author=authors.get(r.author_id) if r.author_id is not None else None,
                note=r.note,
                confirmed_drop=bool((r.figures or {}).get("drops")),
            )
            for r in rows
        ],
    )


def _parsed(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise ArticleInvalid(problem=f"текст длиннее {MAX_TEXT} знаков")
    try:
        parse_article(text)
    except ValueError as exc:
        raise ArticleInvalid(problem=str(exc)) from None


async def try_article(principal: Principal, place: KbPlace, key: str, text: str) -> Comparison:
    """The checks of an edit, without saving it (the editor's «Проверить»)."""
    versions.require_editor(principal)
    _valid_key(key)
    _parsed(text)
    return await asyncio.to_thread(
        check_candidate, place.bot, place.overlay, place.eval_sets, Candidate(key, text)
    )


async def save_article(
    session: AsyncSession,
    principal: Principal,
    place: KbPlace,
    key: str,
    text: str,
    *,
    confirm: bool = False,
    note: str = "",
    action: str = "content.article_saved",
) -> SaveResult:
    """Check the edit, then store it as the next version and make it live. A drop of the
    evaluation is refused (``evaluation_dropped``, with the figures) unless ``confirm``."""
    comparison = await try_article(principal, place, key, text)
    if comparison.errors:
        raise ArticleInvalid(problem="; ".join(comparison.errors))
    if comparison.drops and not confirm:
        raise EvaluationDropped(
            drops="; ".join(comparison.drops),
            before=[f.model_dump() for f in comparison.before],
            after=[f.model_dump() for f in comparison.after],
        )
    rows = await versions.history(session, KIND, key)
    version = (rows[0].version if rows else 0) + 1
    session.add(
        ContentVersion(
            kind=KIND,
            key=key,
            version=version,
            text=text,
            author_id=int(principal.id),
            created_at=utcnow(),
            note=note.strip()[:300],
            figures=comparison.model_dump(mode="json"),
        )
    )
    audit.record(
        session,
        principal,
        action,
        entity_kind="article",
        entity_id=key,
        version=version,
        confirmed_drop=bool(comparison.drops),
        drops=comparison.drops,
    )
    try:
        await session.commit()
    except IntegrityError:  # the same version saved by someone else a moment ago
        await session.rollback()
        raise ContentChanged() from None
    await _go_live(place, key, text)
    return SaveResult(key=key, version=version, comparison=comparison)


async def rollback_article(
    session: AsyncSession,
    principal: Principal,
    place: KbPlace,
    key: str,
    version: int,
    *,
    confirm: bool = False,
) -> SaveResult:
    """Make an earlier version live again (as a new version, so the history stays whole);
    version 0 is the seed file."""
    versions.require_editor(principal)
    _valid_key(key)
    if version == 0:
        seed = _seed_path(place, key)
        if seed is None:
            raise ContentVersionNotFound(key=key, version=version)
        text = seed.read_text(encoding="utf-8")
    else:
        stored = await versions.version_text(session, KIND, key, version)
        if stored is None:
            raise ContentVersionNotFound(key=key, version=version)
        text = stored
    return await save_article(
        session,
        principal,
        place,
        key,
        text,
        confirm=confirm,
        note=f"возврат к версии {version}",
        action="content.article_rolled_back",
    )


async def _go_live(place: KbPlace, key: str, text: str) -> None:
    """After the commit: the live file, this process's bot at once, the others by the stamp."""
    bot: Bot = place.bot
    await asyncio.to_thread(versions.write_file, place.overlay / f"{key}.md", text)
    if bot.overlay_dir is None:
        bot.overlay_dir = place.overlay
    await asyncio.to_thread(bot.reload)
    request_reload(place.data_dir)


async def restore_overlay(session: AsyncSession, overlay: Path) -> int:
    """At start: the live version of every edited article written from the database (a data
    dir restored or new, another host of the same database); → how many."""
    rows = await versions.live_rows(session, KIND)
    for row in rows:
        path = overlay / f"{row.key}.md"
        if not path.is_file() or path.read_text(encoding="utf-8") != row.text:
            versions.write_file(path, row.text)
    return len(rows)


async def restore_kb_edits(
    database: Any, overlay: Path, templates: TemplatePlace | None = None
) -> Path:
    """``restore_overlay`` (and the notification templates' ``restore_templates``) at a
    server's start, in a session of its own; a database not migrated yet leaves the edits on
    disk as they are. → the articles' overlay directory."""
    try:
        async with database.sessions() as session:
            count = await restore_overlay(session, overlay)
            if templates is not None:
                count += await restore_templates(session, templates)
    except SQLAlchemyError:
        log.warning("the edited articles could not be read from the database", exc_info=True)
        return overlay
    if count:
        log.info("%d edited article(s) and template(s) of the console restored", count)
    return overlay
