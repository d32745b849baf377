"""The e-mail channel (issue 12): letters in through an IMAP mailbox (:mod:`.imap`) or
marketdesk's own SMTP receiver (:mod:`.receiver`), read by :mod:`.parse` and :mod:`.text`,
threaded and stored by :mod:`.inbound`; replies out through SMTP (:mod:`.outbound`);
``marketdesk channels check`` through :func:`check_email`.

``server.py`` wires it with :func:`email_sender`, :func:`imap_inbox` and
:func:`open_receiver`."""

from __future__ import annotations

import asyncio

from marketdesk.services.chat import ChatContext
from marketdesk.settings import Settings

from ..email import SmtpConfig
from .check import check_email
from .imap import ImapConfig, ImapInbox
from .inbound import Accepted, MailAddresses, accept_mail
from .outbound import EmailChannelSender
from .receiver import MailReceiver, start_receiver

__all__ = [
    "Accepted",
    "EmailChannelSender",
    "ImapInbox",
    "MailAddresses",
    "accept_mail",
    "check_email",
    "email_sender",
    "imap_inbox",
    "open_receiver",
]


def email_sender(settings: Settings) -> EmailChannelSender | None:
    """The outbound side, when SMTP is configured."""
    config = SmtpConfig.from_settings(settings)
    if config is None:
        return None
    return EmailChannelSender(config, MailAddresses.from_settings(settings))


def imap_inbox(settings: Settings, ctx: ChatContext) -> ImapInbox | None:
    """The mailbox to poll (``MARKETDESK_IMAP_URL``), its letters stored through ``ctx``."""
    if not settings.imap_url:
        return None

    async def handle(raw: bytes) -> Accepted:
        return await accept_mail(ctx, raw, settings)

    return ImapInbox(ImapConfig.from_url(settings.imap_url), handle)


async def open_receiver(settings: Settings, ctx: ChatContext) -> asyncio.Server | None:
    """The SMTP receiver listening (``MARKETDESK_SMTP_LISTEN``); the caller closes it."""
    if not settings.smtp_listen:
        return None

    async def accept(raw: bytes, recipients: tuple[str, ...]) -> Accepted:
        return await accept_mail(ctx, raw, settings, envelope_to=recipients)

    receiver = MailReceiver(accept, MailAddresses.from_settings(settings))
    return await start_receiver(settings.smtp_listen, receiver)
