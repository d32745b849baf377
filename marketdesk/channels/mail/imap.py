"""Polling an IMAP mailbox for support mail (aioimaplib): ``MARKETDESK_IMAP_URL``,
``imap://user:password@host:port/MAILBOX`` (``imaps://`` for TLS; the mailbox defaults to
``INBOX``).

Each round takes the letters not yet ``\\Seen`` (``UID SEARCH UNSEEN``), reads each without
marking it (``BODY.PEEK[]``), hands it to marketdesk (:func:`.inbound.accept_mail`) and only
after that returned sets ``\\Seen`` on it: a crash in between leaves the letter unseen, it
is read again on the next round and stored once (its ``Message-ID`` is the key). Between
rounds the poller waits in ``IDLE`` when the server has it (a new letter ends the wait at
once), else ``MARKETDESK_IMAP_POLL_SECONDS``. The mailbox should be marketdesk's own: a
letter someone marks as read in a mail client before marketdesk saw it is not taken.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from aioimaplib import IMAP4, IMAP4_SSL, STOP_WAIT_SERVER_PUSH

__all__ = ["ImapConfig", "ImapError", "ImapInbox", "mailbox_name"]

log = logging.getLogger("marketdesk.channels.mail")


class ImapError(Exception):
    """The IMAP server said no (login, select, fetch)."""


@dataclass(frozen=True, slots=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    tls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> ImapConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError("MARKETDESK_IMAP_URL: ожидается imap://user:password@host:port/INBOX")
        if not parts.username or parts.password is None:
            raise ValueError("MARKETDESK_IMAP_URL: в адресе нет пользователя или пароля")
        tls = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if tls else 143),
            user=unquote(parts.username),
            password=unquote(parts.password),
            mailbox=unquote(parts.path.strip("/")) or "INBOX",
            tls=tls,
        )


Handler = Callable[[bytes], Awaitable[object]]


def mailbox_name(name: str) -> str:
    """A folder's name as IMAP writes it (RFC 3501's modified UTF-7: «Поддержка» is
    ``&BB8EPgQ0BDQENQRABDYEOgQw-``), quoted when it has spaces."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    encoded = "".join(out)
    return f'"{encoded}"' if " " in encoded or '"' in encoded else encoded


class ImapInbox:
    """One connection to the mailbox, opened on demand and opened again after an error
    (``workers.mail`` drives it: :meth:`poll`, :meth:`wait`, :meth:`close`)."""

    def __init__(self, config: ImapConfig, handle: Handler) -> None:
        self.config = config
        self.handle = handle
        self._client: IMAP4 | None = None

    async def connect(self) -> IMAP4:
        if self._client is not None:
            return self._client
        c = self.config
        client = (
            IMAP4_SSL(host=c.host, port=c.port, timeout=c.timeout)
            if c.tls
            else IMAP4(host=c.host, port=c.port, timeout=c.timeout)
        )
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(c.user, c.password), "вход в почтовый ящик")
            _ok(await client.select(mailbox_name(c.mailbox)), f"папка {c.mailbox}")
        except BaseException:
            with contextlib.suppress(Exception):
                await client.logout()
            raise
        self._client = client
        return client

    async def poll(self) -> int:
        """One round: every unseen letter handed over, then marked seen; → how many."""
        client = await self.connect()
        found = await client.uid_search("UNSEEN", charset=None)
        _ok(found, "поиск новых писем")
        uids = [uid for line in found.lines[:1] for uid in line.decode().split() if uid.isdigit()]
        done = 0
        for uid in uids:
            raw = await self._fetch(client, uid)
            if raw is None:
                continue
            await self.handle(raw)
            await self.acknowledge(uid)
            done += 1
        return done

    async def _fetch(self, client: IMAP4, uid: str) -> bytes | None:
        response = await client.uid("fetch", uid, "(BODY.PEEK[])")
        _ok(response, "чтение письма")
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        return None  # gone meanwhile (another client expunged it)

    async def acknowledge(self, uid: str) -> None:
        """The letter is stored: ``\\Seen``."""
        client = await self.connect()
        _ok(await client.uid("store", uid, "+FLAGS.SILENT", "(\\Seen)"), "отметка письма")

    async def wait(self, seconds: float) -> None:
        """Until the server says something arrived (IDLE), or ``seconds`` pass."""
        client = await self.connect()
        if not client.has_capability("IDLE"):
            await asyncio.sleep(seconds)
            return
        idle = await client.idle_start(timeout=seconds)
        try:
            while client.has_pending_idle():
                push = await client.wait_server_push(timeout=seconds + 10)
                if push == STOP_WAIT_SERVER_PUSH or any(
                    b"EXISTS" in line or b"RECENT" in line
                    for line in (push if isinstance(push, list) else [])
                    if isinstance(line, bytes | bytearray)
                ):
                    break
        finally:
            client.idle_done()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):  # not wait_for: it may swallow a cancel (3.11)
                    await idle

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.logout()


def _ok(response: object, what: str) -> None:
    result = getattr(response, "result", None)
    if result != "OK":
        lines = getattr(response, "lines", [])
        said = b" ".join(x for x in lines if isinstance(x, bytes))[:200].decode(errors="replace")
        raise ImapError(f"{what}: сервер ответил {result} {said}".strip())
