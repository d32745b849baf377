"""The version store shared by the edited articles and the answer templates
(``content_versions``, one ``kind`` each): every version kept, the newest live."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.store.models import ContentVersion, Operator

from ..principals import Principal

__all__ = [
    "authors",
    "history",
    "live_rows",
    "newest_numbers",
    "require_editor",
    "version_text",
    "write_file",
]


def require_editor(principal: Principal) -> None:
    """Content is edited by supervisors and admins."""
    principal.require_operator(Role.SUPERVISOR)


async def newest_numbers(session: AsyncSession, kind: str) -> dict[str, int]:
    """The newest version number of every edited key of ``kind``."""
    rows = await session.execute(
        select(ContentVersion.key, func.max(ContentVersion.version))
        .where(ContentVersion.kind == kind)
        .group_by(ContentVersion.key)
    )
    return {key: int(version) for key, version in rows}


async def history(session: AsyncSession, kind: str, key: str) -> list[ContentVersion]:
    """Every version of one key, newest first."""
    return list(
        await session.scalars(
            select(ContentVersion)
            .where(ContentVersion.kind == kind, ContentVersion.key == key)
            .order_by(ContentVersion.version.desc())
        )
    )


async def authors(session: AsyncSession, rows: list[ContentVersion]) -> dict[int, str]:
    """The logins of the versions' authors, by operator id."""
    ids = {r.author_id for r in rows if r.author_id is not None}
    if not ids:
        return {}
    found = await session.execute(select(Operator.id, Operator.login).where(Operator.id.in_(ids)))
    return {int(i): str(login) for i, login in found}


async def version_text(session: AsyncSession, kind: str, key: str, version: int) -> str | None:
    """The text of one stored version, or None."""
    row = await session.scalar(
        select(ContentVersion).where(
            ContentVersion.kind == kind,
            ContentVersion.key == key,
            ContentVersion.version == version,
        )
    )
    return None if row is None else row.text


async def live_rows(session: AsyncSession, kind: str) -> list[ContentVersion]:
    """The newest version of every edited key of ``kind`` (what is live)."""
    newest = (
        select(ContentVersion.key, func.max(ContentVersion.version).label("v"))
        .where(ContentVersion.kind == kind)
        .group_by(ContentVersion.key)
        .subquery()
    )
    return list(
        await session.scalars(
            select(ContentVersion)
            .join(
                newest,
                (ContentVersion.key == newest.c.key) & (ContentVersion.version == newest.c.v),
            )
            .where(ContentVersion.kind == kind)
        )
    )


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
