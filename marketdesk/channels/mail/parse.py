"""An e-mail as marketdesk reads it, with the standard ``email`` package (``policy.default``):
who wrote it and to whom, its ``Message-ID`` and the ids it replies to, the request number
in its subject, its text (``text``: quotes and signature cut) and its files, and whether it is
a machine's letter that is never answered.

Encodings: whatever charset a part declares (UTF-8, KOI8-R, windows-1251, …), in
quoted-printable or base64, and RFC 2047 headers; a part that declares none, or one Python
does not know, is read as UTF-8 and else as windows-1251 (the usual undeclared Russian
encoding); raw 8-bit headers the same way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from .text import clean_text, html_to_text, is_forward

__all__ = ["MailFile", "ParsedMail", "machine_reason", "parse_mail", "ticket_in"]


@dataclass(frozen=True, slots=True)
class MailFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ParsedMail:
    message_id: str
    """``<id@host>``; a letter without one gets ``<sha256 of its bytes@marketdesk.invalid>``
    (the same on every repeat)."""
    sender: str
    """The ``From:`` address, lower case ('' when there is none)."""
    display_name: str | None
    recipients: tuple[str, ...]
    """``To``, ``Cc``, ``Delivered-To``, ``X-Original-To``: lower case."""
    subject: str
    text: str
    """The body as the transcript shows it (quotes and signature cut)."""
    full_text: str
    """The whole body as text."""
    files: tuple[MailFile, ...]
    references: tuple[str, ...]
    """The ids it replies to, nearest first: ``In-Reply-To``, then ``References`` from the
    end."""
    ticket: str | None
    """The request number in the subject (``[№ 12345]``, ``№ S-2026-0000012``)."""
    machine: str | None
    """Why it is a machine's letter never answered (an auto-reply, a bounce, a list); None
    for a person's."""


def parse_mail(raw: bytes) -> ParsedMail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    subject = _header(message, "Subject")
    display, sender = _sender(message)
    plain, html, files, attached = _body(message)
    forward = is_forward(subject)
    if plain.strip():
        full = _tidy_plain(plain)
        text = clean_text(full, forward=forward)
    elif html.strip():
        full = html_to_text(html, keep_quotes=True)
        text = clean_text(html_to_text(html, keep_quotes=forward), forward=forward)
    else:
        full = text = ""
    for letter in attached:  # a letter forwarded as an attachment: its text goes on
        full = f"{full}\n\n{letter}".strip()
        text = f"{text}\n\n{letter}".strip()
    message_id = _ids(_header(message, "Message-ID"))
    return ParsedMail(
        message_id=message_id[0]
        if message_id
        else f"<{hashlib.sha256(raw).hexdigest()}@marketdesk.invalid>",
        sender=sender,
        display_name=display,
        recipients=_recipients(message),
        subject=subject,
        text=text,
        full_text=full,
        files=tuple(files),
        references=_references(message),
        ticket=ticket_in(subject),
        machine=machine_reason(message, sender, subject),
    )


# --- headers -----------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    """A header's text, decoded (RFC 2047), raw 8-bit bytes read as UTF-8 or windows-1251;
    '' when absent or unreadable."""
    raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in str(raw)):  # undeclared 8-bit bytes
        text = _decode(str(raw).encode("ascii", "surrogateescape"), None)
    else:
        try:
            text = str(message.get(name, ""))
        except Exception:  # a header the policy cannot parse: its raw form
            text = str(raw)
    return " ".join(text.split())


def _sender(message: Message) -> tuple[str | None, str]:
    raw = _header(message, "From")
    name, address = parseaddr(raw)
    if "@" not in address:
        return (name or None), ""
    return (name.strip() or None), address.strip().lower()


def _recipients(message: Message) -> tuple[str, ...]:
    values = [_header(message, name) for name in ("To", "Cc", "Delivered-To", "X-Original-To")]
    found = [address.strip().lower() for _, address in getaddresses(values) if "@" in address]
    return tuple(dict.fromkeys(found))


_ID = re.compile(r"<[^<>\s]+>")


def _ids(value: str) -> list[str]:
    found = _ID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return found


def _references(message: Message) -> tuple[str, ...]:
    replied = _ids(_header(message, "In-Reply-To"))
    chain = list(reversed(_ids(_header(message, "References"))))
    return tuple(dict.fromkeys([*replied, *chain]))


_TICKET = re.compile(r"\[\s*№\s*([A-Za-z0-9][A-Za-z0-9-]{0,40})\s*\]")
_TICKET_LOOSE = re.compile(r"№\s*([A-Za-z0-9][A-Za-z0-9-]{0,40})")


def ticket_in(subject: str) -> str | None:
    """The request number in a subject: ``[№ 12345]`` (what marketdesk writes), else a bare
    ``№ 12345`` (what a customer types, seed 001: «укажите номер исходящего запроса в теме
    письма»)."""
    found = _TICKET.search(subject) or _TICKET_LOOSE.search(subject)
    return found.group(1) if found else None


_AUTO_SUBJECT = re.compile(
    r"^\s*(автоматический ответ|автоответ|auto(matic)?[ -]?reply|out of (the )?office"
    r"|undeliver(able|ed)|delivery status notification|недоставленное сообщение"
    r"|returned mail|mail delivery failed)",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply")


def machine_reason(message: Message, sender: str, subject: str) -> str | None:
    """Why a letter is a machine's (RFC 3834 and what mail systems really send), or None."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autogenerated"):
        if _header(message, name):
            return name
    if message.get_content_type() == "multipart/report":
        return "отчёт о доставке (bounce)"
    local = sender.partition("@")[0]
    if not sender or local in _DAEMONS or local.startswith("mailer-daemon"):
        return f"служебный отправитель {sender or '(пусто)'}"
    if _header(message, "Return-Path").strip() == "<>":
        return "пустой Return-Path (bounce)"
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "рассылка (List-Id)"
    if _AUTO_SUBJECT.match(subject):
        return f"тема автоответа: {subject[:60]}"
    return None


# --- body --------------------------------------------------------------------------------

_CHARSET_ALIASES = {
    "win-1251": "windows-1251",
    "x-cp1251": "windows-1251",
    "cp-1251": "windows-1251",
    "windows1251": "windows-1251",
    "koi8r": "koi8-r",
    "x-koi8-r": "koi8-r",
    "unicode-1-1-utf-7": "utf-7",
}


def _decode(data: bytes, charset: str | None) -> str:
    """Bytes of a declared (or undeclared) charset as text."""
    if charset:
        charset = _CHARSET_ALIASES.get(charset.lower(), charset)
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1251", errors="replace")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode(payload, part.get_content_charset())


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name and any("\udc80" <= ch <= "\udcff" for ch in name):
        name = _decode(name.encode("utf-8", "surrogateescape"), None)
    return name


def _body(message: Message) -> tuple[str, str, list[MailFile], list[str]]:
    """The first plain and HTML bodies (not attachments), the files, and the text of each
    letter attached whole (``message/rfc822``: a forward as an attachment)."""
    plain: list[str] = []
    html: list[str] = []
    files: list[MailFile] = []
    attached: list[str] = []
    _collect(message, plain, html, files, attached)
    return "\n\n".join(plain[:1]), "\n".join(html[:1]), files, attached


def _collect(
    part: Message,
    plain: list[str],
    html: list[str],
    files: list[MailFile],
    attached: list[str],
) -> None:
    kind = part.get_content_type()
    if kind == "message/rfc822":
        inner = part.get_payload()
        letter = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(letter, Message):
            attached.append(_forwarded(letter, files))
        return
    if part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                _collect(child, plain, html, files, attached)
        return
    if kind == "message/delivery-status":
        return
    disposition = (part.get_content_disposition() or "").lower()
    name = _filename(part)
    if disposition != "attachment" and name is None and kind in ("text/plain", "text/html"):
        (plain if kind == "text/plain" else html).append(_part_text(part))
        return
    if kind.startswith("text/") and name is None and disposition != "attachment":
        return
    data = part.get_payload(decode=True)
    if isinstance(data, bytes) and data:
        files.append(MailFile(name or "файл", kind, data))


def _forwarded(letter: Message, files: list[MailFile]) -> str:
    plain, html, inner_files, attached = _body(letter)
    files.extend(inner_files)
    body = _tidy_plain(plain) if plain.strip() else html_to_text(html, keep_quotes=True)
    head = [
        "---------- Пересланное письмо ----------",
        f"От: {_header(letter, 'From')}",
        f"Тема: {_header(letter, 'Subject')}",
    ]
    return "\n".join([*head, "", body, *attached]).strip()


def _tidy_plain(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
