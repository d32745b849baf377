"""Marketdesk's own SMTP receiver (aiosmtpd), for a marketplace whose mail server routes the
support addresses to it: ``MARKETDESK_SMTP_LISTEN=host:port``, started and stopped with the
server.

It takes letters for marketdesk's addresses only (``MARKETDESK_MAIL_HELP_ADDRESS``,
``MARKETDESK_MAIL_SELLER_ADDRESS``; any other recipient is refused with 550) and answers
``250`` only after the letter is stored (:func:`.inbound.accept_mail`); a failure to store it
answers ``451``, and the sending server tries again later (a repeat is stored once). No
authentication and no TLS: listen on an internal address that only the mail server reaches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from .inbound import Accepted, MailAddresses

__all__ = ["MailReceiver", "parse_listen", "start_receiver"]

log = logging.getLogger("marketdesk.channels.mail")

Accept = Callable[[bytes, tuple[str, ...]], Awaitable[Accepted]]
MAX_LETTER_BYTES = 32 * 1024 * 1024


class MailReceiver:
    """aiosmtpd's handler: the recipients checked, each letter handed to marketdesk."""

    def __init__(self, accept: Accept, addresses: MailAddresses) -> None:
        self.accept = accept
        self.addresses = addresses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if not self.addresses.ours(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if not raw:
            return "554 5.6.0 Empty message"
        try:
            accepted = await self.accept(raw, tuple(envelope.rcpt_tos))
        except Exception:
            log.exception("a letter over SMTP could not be stored; the sender will try again")
            return "451 4.3.0 Temporary failure, please try again later"
        return f"250 OK {accepted.outcome}"


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:2525`` for IPv6) → (host, port)."""
    host, _, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"MARKETDESK_SMTP_LISTEN: ожидается host:port, получено {listen!r}")
    return host, int(port)


async def start_receiver(listen: str, receiver: MailReceiver) -> asyncio.Server:
    """Listen on ``listen``; the caller closes the server on shutdown."""
    host, port = parse_listen(listen)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            receiver,
            data_size_limit=MAX_LETTER_BYTES,
            enable_SMTPUTF8=True,
            hostname="marketdesk",
            loop=loop,
        ),
        host,
        port,
    )
