"""Files in the chat: images and PDF (seed 002: «с помощью кнопки «+» … прикрепите
скриншоты»; sellers «прикрепить к сообщению файлы»).

The type is decided by the file's first bytes, never by its name or the declared type; the
size is limited; the bytes are kept under the data dir, named by their SHA-256, readable by
the server's user only (0600 in a 0700 folder). A message carrying the file is sent with the
same idempotency rules as any other message.

Everything that can refuse an upload is checked before the file is written, and a file
written for an upload that then fails is removed (unless another attachment has the same
bytes). Uploads have quotas: the bytes of one conversation, and what one customer or visitor
sends in a day."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import Attachment, Message, utcnow
from marketdesk.store.transactions import serialized

from . import chat
from .errors import (
    AttachmentDailyQuota,
    AttachmentEmpty,
    AttachmentNotFound,
    AttachmentQuota,
    AttachmentTooLarge,
    AttachmentType,
    NotFound,
)
from .principals import Principal

__all__ = [
    "ALLOWED_TYPES_RU",
    "MAX_BYTES",
    "StoredFile",
    "UploadQuota",
    "attach",
    "attachment_path",
    "open_attachment",
    "sniff_type",
]

log = logging.getLogger("marketdesk.attachments")

MAX_BYTES = 10 * 1024 * 1024  # a configuration default
ALLOWED_TYPES_RU = "изображения (JPEG, PNG, GIF, WebP) и PDF"
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadQuota:
    """How much may be uploaded (``0``: no limit). Defaults are configuration choices (the
    seeds give none): a conversation holds up to 100 MB of files; a customer or a visitor
    sends up to 200 files and 200 MB in 24 hours. Staff have only the conversation quota."""

    conversation_bytes: int = 100 * _MB
    daily_bytes: int = 200 * _MB
    daily_files: int = 200


def attachment_path(data_dir: Path, digest: str) -> Path:
    return data_dir / "attachments" / digest[:2] / digest


def sniff_type(data: bytes) -> str | None:
    """The content type from the magic bytes, for the allowed kinds only."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _clean_filename(name: str, content_type: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    name = re.sub(r"\s+", " ", name).strip(" .")[:200]
    if not name:
        name = "файл"
    extension = {
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }[content_type]
    if not name.lower().endswith(extension) and not (
        extension == ".jpg" and name.lower().endswith(".jpeg")
    ):
        name += extension
    return name


def _store_bytes(data_dir: Path, data: bytes, digest: str) -> bool:
    """Write the file unless it is there (True: this call created it)."""
    path = attachment_path(data_dir, digest)
    for folder in (data_dir / "attachments", path.parent):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        # the same bytes again: a fresh mtime keeps the orphan clean-up away from it
        with contextlib.suppress(OSError):
            os.utime(path)
        if path.exists():
            return False
    tmp = path.with_name(f".{digest}.{os.getpid()}.{id(data):x}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return True


async def _forget_file(session: AsyncSession, data_dir: Path, digest: str) -> None:
    """Remove a file this upload wrote, unless a stored attachment has the same bytes."""
    try:
        await session.rollback()
        if await session.scalar(select(Attachment.id).where(Attachment.sha256 == digest).limit(1)):
            return
        attachment_path(data_dir, digest).unlink(missing_ok=True)
    except Exception:  # the orphan clean-up removes it later
        log.warning("could not remove the file of a failed upload", exc_info=True)


async def _check_quota(
    session: AsyncSession,
    principal: Principal,
    conversation_id: int,
    size: int,
    quota: UploadQuota,
    now: datetime,
) -> None:
    if quota.conversation_bytes:
        used = int(
            await session.scalar(
                select(func.coalesce(func.sum(Attachment.size), 0)).where(
                    Attachment.conversation_id == conversation_id
                )
            )
            or 0
        )
        if used + size > quota.conversation_bytes:
            raise AttachmentQuota(
                used_megabytes=used / _MB, megabytes=quota.conversation_bytes // _MB
            )
    if principal.is_operator or not (quota.daily_bytes or quota.daily_files):
        return
    count, total, oldest = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Attachment.size), 0),
                func.min(Attachment.created_at),
            ).where(
                Attachment.uploader_kind == principal.kind,
                Attachment.uploader_id == str(principal.id),
                Attachment.created_at > now - timedelta(days=1),
            )
        )
    ).one()
    over_files = bool(quota.daily_files) and int(count) >= quota.daily_files
    over_bytes = bool(quota.daily_bytes) and int(total) + size > quota.daily_bytes
    if over_files or over_bytes:
        wait = 3600
        if oldest is not None:
            wait = max(60, int((oldest + timedelta(days=1) - now).total_seconds()) + 1)
        raise AttachmentDailyQuota(
            files=quota.daily_files,
            megabytes=quota.daily_bytes // _MB,
            hours=max(1, round(wait / 3600)),
            retry_after=wait,
        )


@serialized
async def attach(
    session: AsyncSession,
    ctx: chat.ChatContext,
    principal: Principal,
    conversation_id: int,
    *,
    filename: str,
    data: bytes,
    client_msg_id: str,
    text: str = "",
    private: bool = False,
    data_dir: Path,
    quota: UploadQuota | None = None,
) -> chat.SendResult:
    """Store a file and send it as a message (with an optional caption) through the chat's
    one door (:func:`marketdesk.services.chat.send`): the attachment's row commits with its
    message. Every refusal the send would give is found by its dry run before the file is
    written; a failure after it removes the file again."""
    chat.check_send(principal, client_msg_id, text, private, allow_empty=True)
    await chat.get_conversation(session, principal, conversation_id)  # 404
    content_type = _sniffed(data)
    attachment = chat.NewAttachment(
        filename=_clean_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    message = chat.OutgoingMessage(
        conversation_id=conversation_id,
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        attachments=(attachment,),
    )
    retried = await chat.find_sent(session, principal, conversation_id, client_msg_id)
    if retried is not None:  # a retry: the same message, no second file
        return retried
    verdict = await chat.preview(ctx, principal, message, session=session)  # 409: closed…
    await _check_quota(
        session, principal, conversation_id, len(data), quota or UploadQuota(), utcnow()
    )
    if not verdict.ok:  # the caption would disclose what the guard protects
        await chat.refuse_disclosure(session, principal, conversation_id, verdict)
    created = _store_bytes(data_dir, data, attachment.sha256)  # before the row points at it
    try:
        result = await chat.send(ctx, principal, message, session=session)
    except BaseException:
        if created:
            await _forget_file(session, data_dir, attachment.sha256)
        raise
    if result.duplicate and created:  # a retry won the race: the file is its, or nobody's
        await _forget_file(session, data_dir, attachment.sha256)
    return result


def _sniffed(data: bytes) -> str:
    """The file's type, read from its bytes (never from its name): images and PDF."""
    if len(data) > MAX_BYTES:
        raise AttachmentTooLarge(megabytes=MAX_BYTES // (1024 * 1024))
    if not data:
        raise AttachmentEmpty()
    content_type = sniff_type(data)
    if content_type is None:
        raise AttachmentType(types=ALLOWED_TYPES_RU)
    return content_type


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: Path
    filename: str
    content_type: str
    size: int


async def open_attachment(
    session: AsyncSession, principal: Principal, attachment_id: int, *, data_dir: Path
) -> StoredFile:
    """A file of a conversation the caller may read (customers: not from private notes)."""
    attachment = await session.get(Attachment, attachment_id)
    missing = AttachmentNotFound()
    if attachment is None:
        raise missing
    try:
        await chat.get_conversation(session, principal, attachment.conversation_id)
    except NotFound:
        raise missing from None
    if not principal.is_operator:
        own = (attachment.uploader_kind, attachment.uploader_id) == (
            principal.kind,
            str(principal.id),
        )
        message = (
            await session.get(Message, attachment.message_id) if attachment.message_id else None
        )
        if not own and (message is None or message.private):
            raise missing
    path = attachment_path(data_dir, attachment.sha256)
    if not path.is_file():
        raise missing
    return StoredFile(path, attachment.filename, attachment.content_type, attachment.size)
