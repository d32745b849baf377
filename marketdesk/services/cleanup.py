"""Clean-up of what is no longer of use: ended sessions, visitors who never started a
conversation, old login codes (and the codes in the «Безопасность» chat once they can no
longer be used), the chat's messages, SMS records past their retention, and attachment
files no row points at. Every step is a conditional delete, or an update to a value the
row then keeps, so several processes may run it at once (the second finds nothing left to
do, or writes what is there already)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Table, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import (
    Attachment,
    Conversation,
    LoginCode,
    Notification,
    SecurityMessage,
    Session,
    Visitor,
    utcnow,
)

from .security import HIDDEN_CODE, without_codes
from .webhooks.retention import prune_log

__all__ = ["CleanupPolicy", "CleanupResult", "clean_database", "clean_orphan_files"]

log = logging.getLogger("marketdesk.cleanup")

_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class CleanupPolicy:
    """How long things are kept (the settings ``MARKETDESK_CLEANUP_*``)."""

    session_days: int = 7
    visitor_hours: int = 24
    login_code_days: int = 1
    sms_days: int = 7
    orphan_file_minutes: int = 60
    webhook_days: int = 30
    security_message_days: int = 90


@dataclass(slots=True)
class CleanupResult:
    sessions: int = 0
    visitors: int = 0
    login_codes: int = 0
    sms: int = 0
    files: int = 0
    webhooks: int = 0
    codes_hidden: int = 0
    security_messages: int = 0

    def summary_ru(self) -> str:
        return (
            f"сессий: {self.sessions}, посетителей: {self.visitors}, "
            f"кодов входа: {self.login_codes}, SMS: {self.sms}, файлов: {self.files}, "
            f"доставок вебхуков: {self.webhooks}, "
            f"скрыто кодов в чате «Безопасность»: {self.codes_hidden}, "
            f"сообщений чата «Безопасность»: {self.security_messages}"
        )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def clean_database(
    session: AsyncSession, policy: CleanupPolicy, *, now: datetime | None = None
) -> CleanupResult:
    """Delete the rows past their retention; one commit per kind."""
    now = now or utcnow()
    out = CleanupResult()
    session_cutoff = now - timedelta(days=policy.session_days)
    out.sessions = _count(
        await session.execute(
            delete(Session)
            .where(
                or_(
                    Session.expires_at <= session_cutoff,
                    Session.revoked_at <= session_cutoff,
                )
            )
            .execution_options(synchronize_session=False)
        )
    )
    await session.commit()

    # a visitor with no conversation and no live session (its token can no longer be used)
    live_session = exists().where(
        Session.visitor_id == Visitor.id,
        Session.revoked_at.is_(None),
        Session.expires_at > now,
    )
    has_conversation = exists().where(Conversation.visitor_id == Visitor.id)
    idle = select(Visitor.id).where(
        Visitor.created_at <= now - timedelta(hours=policy.visitor_hours),
        ~has_conversation,
        ~live_session,
    )
    ids = list(await session.scalars(idle.limit(50_000)))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        await session.execute(
            delete(Session)
            .where(Session.visitor_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        out.visitors += _count(
            await session.execute(
                delete(Visitor)
                .where(Visitor.id.in_(chunk), ~has_conversation, ~live_session)
                .execution_options(synchronize_session=False)
            )
        )
        await session.commit()

    out.security_messages = _count(
        await session.execute(
            delete(SecurityMessage)
            .where(SecurityMessage.created_at <= now - timedelta(days=policy.security_message_days))
            .execution_options(synchronize_session=False)
        )
    )
    out.codes_hidden = await _hide_spent_codes(session, now)
    out.login_codes = _count(
        await session.execute(
            delete(LoginCode)
            .where(LoginCode.created_at <= now - timedelta(days=policy.login_code_days))
            .execution_options(synchronize_session=False)
        )
    )
    out.sms = _count(
        await session.execute(
            delete(Notification)
            .where(
                and_(
                    Notification.secret.is_(True),
                    Notification.status.in_(("sent", "delivered", "failed", "expired")),
                    Notification.created_at <= now - timedelta(days=policy.sms_days),
                )
            )
            .execution_options(synchronize_session=False)
        )
    )
    out.webhooks = await prune_log(session, now=now, days=policy.webhook_days)
    await session.commit()
    return out


_messages: Table = SecurityMessage.__table__  # type: ignore[assignment]
_SET_TEXT = (  # Core: one statement for many rows (executemany)
    update(_messages)
    .where(_messages.c.id == bindparam("row_id"))
    .values(text=bindparam("new_text"))
)


async def _hide_spent_codes(session: AsyncSession, now: datetime) -> int:
    """Hide the codes of the «Безопасность» chat that can no longer be used (expired, used,
    voided or deleted): the chat shows them hidden already, and the rows keep them no
    longer (caller commits). → how many messages changed."""
    usable = exists().where(
        LoginCode.id == SecurityMessage.login_code_id,
        LoginCode.used_at.is_(None),
        LoginCode.voided_at.is_(None),
        LoginCode.expires_at > now,
    )
    rows = await session.execute(
        select(SecurityMessage.id, SecurityMessage.text)
        .where(~usable, ~SecurityMessage.text.contains(HIDDEN_CODE, autoescape=True))
        .limit(50_000)
    )
    changed = [
        {"row_id": row_id, "new_text": hidden}
        for row_id, text in rows
        if (hidden := without_codes(text)) != text
    ]
    for start in range(0, len(changed), _CHUNK):
        await session.execute(_SET_TEXT, changed[start : start + _CHUNK])
    return len(changed)


def _candidates(root: Path, older_than: float) -> list[Path]:
    """Attachment files (and leftovers of interrupted writes) not touched since ``older_than``."""
    found: list[Path] = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < older_than:
                    found.append(path)
    return found


async def clean_orphan_files(session: AsyncSession, data_dir: Path, policy: CleanupPolicy) -> int:
    """Remove attachment files that no attachment row points at and that are older than
    ``policy.orphan_file_minutes`` (a file being uploaded now is young). → files removed."""
    older_than = time.time() - policy.orphan_file_minutes * 60
    paths = await asyncio.to_thread(_candidates, data_dir / "attachments", older_than)
    leftovers = [p for p in paths if not _DIGEST.fullmatch(p.name)]
    by_digest = {p.name: p for p in paths if _DIGEST.fullmatch(p.name)}
    digests = list(by_digest)
    orphans: list[Path] = []
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start : start + _CHUNK]
        known = set(
            await session.scalars(
                select(Attachment.sha256).where(Attachment.sha256.in_(chunk)).distinct()
            )
        )
        orphans.extend(by_digest[d] for d in chunk if d not in known)
    await session.commit()

    def remove(paths: list[Path]) -> int:
        removed = 0
        for path in paths:
            try:
                if path.stat().st_mtime >= older_than:  # just used again by an upload
                    continue
                os.unlink(path)
                removed += 1
            except OSError:
                continue
        return removed

    return await asyncio.to_thread(remove, orphans + leftovers)
