"""Files in the chat: images and PDF (seed 002: «с помощью кнопки «+» … прикрепите
скриншоты»; sellers «прикрепить к сообщению файлы»).

The type is decided by the file's first bytes, never by its name or the declared type; the
size is limited; the bytes are kept under the data dir, named by their SHA-256. A message
carrying the file is sent with the same idempotency rules as any other message."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import Attachment, Message, utcnow

from . import conversations as chat
from . import outgoing
from .errors import InvalidInput, NotFound
from .principals import Principal

__all__ = [
    "ALLOWED_TYPES_RU",
    "MAX_BYTES",
    "StoredFile",
    "attach",
    "open_attachment",
    "sniff_type",
]

MAX_BYTES = 10 * 1024 * 1024  # a configuration default
ALLOWED_TYPES_RU = "изображения (JPEG, PNG, GIF, WebP) и PDF"


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


def _store_bytes(data_dir: Path, data: bytes, digest: str) -> Path:
    folder = data_dir / "attachments" / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        tmp = folder / f".{digest}.{os.getpid()}.tmp"
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return path


@chat.serialized_writes
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
) -> chat.SendResult:
    """Store a file and send it as a message (with an optional caption)."""
    chat.validate_text(text, allow_empty=True)
    await chat.get_conversation(session, principal, conversation_id)  # 404 for strangers
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ.", code="attachment_too_large"
        )
    if not data:
        raise InvalidInput("Файл пустой.", code="attachment_empty")
    content_type = sniff_type(data)
    if content_type is None:
        raise InvalidInput(f"Можно прикрепить только {ALLOWED_TYPES_RU}.", code="attachment_type")
    retried = await chat.find_sent(session, principal, conversation_id, client_msg_id)
    if retried is not None:  # a retry: the same message, no second file
        return retried
    if principal.is_operator and not private and text.strip():
        # the caption reaches the customer: the privacy guard, as for every reply
        await outgoing.require_guard_passes(
            session, principal, conversation_id, client_msg_id=client_msg_id, text=text
        )
    digest = hashlib.sha256(data).hexdigest()
    _store_bytes(data_dir, data, digest)  # before the row: a row never points at nothing
    attachment = Attachment(
        conversation_id=conversation_id,
        filename=_clean_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploader_kind=principal.kind,
        uploader_id=str(principal.id),
        created_at=utcnow(),
    )
    session.add(attachment)
    await session.flush()
    described = {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": content_type,
        "size": attachment.size,
    }
    # the attachment row commits with its message, or not at all
    result = await chat.store_message(
        session,
        ctx,
        principal,
        conversation_id,
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        attachments=[described],
    )
    if not result.duplicate:
        await session.execute(
            update(Attachment)
            .where(Attachment.id == attachment.id)
            .values(message_id=result.message.id)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    return result


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
    missing = NotFound("Файл не найден.", code="attachment_not_found")
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
    path = data_dir / "attachments" / attachment.sha256[:2] / attachment.sha256
    if not path.is_file():
        raise missing
    return StoredFile(path, attachment.filename, attachment.content_type, attachment.size)
