"""A letter that arrived (through IMAP or the SMTP receiver) becomes a message of its
conversation: :func:`accept_mail`. The caller acknowledges the letter (IMAP ``\\Seen``, SMTP
``250``) only after it returned; a repeat is stored once (its ``Message-ID`` is the key).

* **Machines' letters** (auto-replies, bounces, lists, anything from marketdesk's own
  addresses: a loop) are not stored and never answered: :func:`accept_mail` logs them and
  says ``ignored``, and the caller acknowledges them like any other.
* **Threading**: ``In-Reply-To``/``References``, then the number in the subject
  (:func:`marketdesk.services.channels.find_thread`); a letter that is no reply starts a
  new conversation.
* **The seller line**: a letter to the sellers' address (``MARKETDESK_MAIL_SELLER_ADDRESS``)
  goes there, its topic guessed from the subject's words (else
  ``MARKETDESK_MAIL_SELLER_TOPIC``/``_SUBTOPIC``).
* **Long letters**: the transcript takes at most :data:`MAX_TEXT` characters; a longer text
  is cut with a note. **Every letter is kept whole** in the mail archive,
  ``<data dir>/mail/<yyyy-mm>/<sha256>.eml`` (also the original of the quoted history and
  signature cut from the transcript).
* **Files**: what the chat accepts (images, PDF; ``services.attachments``) is attached;
  anything else is named in a note of the message, and stays in the archived letter.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from marketdesk.domain.channels import Channel
from marketdesk.domain.lines import Line
from marketdesk.domain.tasks import SELLER_SUPPORT_TOPICS, is_valid_seller_topic
from marketdesk.services import channels
from marketdesk.services.attachments import ALLOWED_TYPES_RU, MAX_BYTES, sniff_type
from marketdesk.services.chat import MAX_TEXT, ChatContext
from marketdesk.services.errors import ServiceError
from marketdesk.settings import Settings
from marketdesk.store.models import utcnow

from .parse import ParsedMail, parse_mail

__all__ = ["Accepted", "MailAddresses", "accept_mail", "archive", "seller_topic_for"]

log = logging.getLogger("marketdesk.channels.mail")

_CUT_NOTE = "\n\n[Письмо длиннее {limit} знаков и сокращено; целиком оно сохранено в архиве почты.]"
_EMPTY = "(письмо без текста)"
_REFUSED_FILE = "[Вложение «{name}» не принято: поддерживаются {types}, до {mb} МБ.]"
_REPLY = re.compile(r"^\s*(re|ответ|отв|aw|sv)\s*(\[\d+\])?\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MailAddresses:
    """Marketdesk's own addresses (seed 002): customers' and sellers' support."""

    help: str
    seller: str

    @classmethod
    def from_settings(cls, settings: Settings) -> MailAddresses:
        return cls(settings.mail_help_address.lower(), settings.mail_seller_address.lower())

    def ours(self, address: str) -> bool:
        return address.lower() in (self.help, self.seller)


@dataclass(frozen=True, slots=True)
class Accepted:
    outcome: Literal["stored", "duplicate", "ignored"]
    conversation_id: int | None = None
    reason: str | None = None


async def accept_mail(
    ctx: ChatContext, raw: bytes, settings: Settings, *, envelope_to: tuple[str, ...] = ()
) -> Accepted:
    """Store the letter ``raw`` (see the module's docstring). Raises what the store raises
    (the caller does not acknowledge then, and the letter comes again)."""
    try:
        mail = parse_mail(raw)
    except Exception:  # a letter this code cannot read: kept, not retried for ever
        path = archive(settings.data_dir, raw)
        log.exception("a letter could not be read; kept as %s", path)
        return Accepted("ignored", reason=f"письмо не удалось разобрать, оно сохранено: {path}")
    addresses = MailAddresses.from_settings(settings)
    reason = mail.machine
    if reason is None and addresses.ours(mail.sender):
        reason = f"письмо от нашего же адреса {mail.sender} (петля)"
    if reason is not None:
        log.info("mail %s from %s not answered: %s", mail.message_id, mail.sender, reason)
        return Accepted("ignored", reason=reason)
    archive(settings.data_dir, raw)
    database = ctx.database
    assert database is not None
    async with database.sessions() as session:
        conversation_id = await channels.find_thread(
            session, Channel.EMAIL, replies_to=mail.references, ticket=mail.ticket
        )
        await session.commit()
    recipients = {*mail.recipients, *(a.lower() for a in envelope_to)}
    seller = addresses.seller in recipients
    topic, subtopic = seller_topic_for(mail.subject, settings) if seller else (None, None)
    text, files = _content(mail)
    is_reply = bool(mail.references) or bool(_REPLY.match(mail.subject))
    try:
        received = await channels.receive(
            ctx,
            channels.InboundMessage(
                channel=Channel.EMAIL,
                address=mail.sender,
                external_id=mail.message_id[:255],
                text=text,
                display_name=mail.display_name,
                files=files,
                conversation_id=conversation_id,
                new_thread=conversation_id is None and not is_reply,
                line=Line.SELLER if seller else Line.GENERAL,
                seller_topic=topic,
                seller_subtopic=subtopic,
                subject=_bare_subject(mail.subject) or None,
            ),
            data_dir=settings.data_dir,
        )
    except ServiceError as refusal:  # the chat refuses it for good: kept in the archive only
        log.warning("mail %s from %s refused: %s", mail.message_id, mail.sender, refusal.code)
        return Accepted("ignored", reason=str(refusal))
    return Accepted(
        "duplicate" if received.duplicate else "stored",
        conversation_id=received.conversation_id,
    )


def archive(data_dir: Path, raw: bytes) -> Path:
    """The letter kept whole: ``<data dir>/mail/<yyyy-mm>/<sha256>.eml`` (written once)."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = data_dir / "mail" / f"{utcnow():%Y-%m}"
    path = folder / f"{digest}.eml"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(raw)
        partial.replace(path)
    return path


def _content(mail: ParsedMail) -> tuple[str, tuple[channels.InboundFile, ...]]:
    """The message's text (cut to the chat's limit, refused files named) and its files."""
    files: list[channels.InboundFile] = []
    notes: list[str] = []
    for file in mail.files:
        if sniff_type(file.data) is not None and len(file.data) <= MAX_BYTES:
            files.append(channels.InboundFile(file.filename, file.data))
        else:
            notes.append(
                _REFUSED_FILE.format(
                    name=file.filename[:100], types=ALLOWED_TYPES_RU, mb=MAX_BYTES // 2**20
                )
            )
    text = mail.text.strip() or ("" if files else _EMPTY)
    tail = "\n\n".join(notes)
    limit = MAX_TEXT - len(tail) - 2
    if len(text) > limit:
        note = _CUT_NOTE.format(limit=MAX_TEXT)
        text = text[: limit - len(note)].rstrip() + note
    if tail:
        text = f"{text}\n\n{tail}" if text else tail
    return text, tuple(files)


_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|ответ|отв|aw|sv|fwd?|fw|пересл)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_SUBJECT_TICKET = re.compile(r"\s*\[\s*№[^\]]*\]\s*")


def _bare_subject(subject: str) -> str:
    """The subject without «Re:»/«Fwd:» and the request number (the replies add their own)."""
    subject = _SUBJECT_PREFIX.sub("", subject)
    return _SUBJECT_TICKET.sub(" ", subject).strip()


_WORD = re.compile(r"[а-яё]{4,}", re.IGNORECASE)


def seller_topic_for(subject: str, settings: Settings) -> tuple[str, str]:
    """The seller topic of a letter: the sub-topic that shares the most word stems with the
    subject (the first five letters of each word of four or more), else the configured one."""
    stems = {w.lower()[:5] for w in _WORD.findall(subject)}
    best: tuple[int, str, str] = (0, "", "")
    for topic in SELLER_SUPPORT_TOPICS:
        for subtopic in topic.subtopics_ru:
            words = {w.lower()[:5] for w in _WORD.findall(f"{topic.title_ru} {subtopic}")}
            score = len(stems & words)
            if score > best[0]:
                best = (score, topic.title_ru, subtopic)
    if best[0]:
        return best[1], best[2]
    if is_valid_seller_topic(settings.mail_seller_topic, settings.mail_seller_subtopic):
        return settings.mail_seller_topic, settings.mail_seller_subtopic
    first = SELLER_SUPPORT_TOPICS[0]
    return first.title_ru, first.subtopics_ru[0]
