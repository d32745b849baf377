"""The adapters a process delivers through. Notifications (``MARKETDESK_NOTIFY_CHANNELS``):
SMS through the HTTP gateway or the demo's log file; e-mail when SMTP is configured. Used by
the server and by ``marketdesk worker`` / ``certificate issue`` (no web stack imported).
Conversations of the outside channels (e-mail, Telegram, VK): the outbound side of each
configured channel (:func:`channel_senders`)."""

from __future__ import annotations

from marketdesk.services.channels import ChannelSender
from marketdesk.services.notifications import NotificationSender, NotifyPolicy
from marketdesk.settings import Settings

from .email import SmtpConfig, SmtpEmailSender
from .mail import email_sender
from .sms import sms_gateway_from_settings

__all__ = ["channel_senders", "notification_senders"]


def notification_senders(settings: Settings) -> dict[str, NotificationSender]:
    senders: dict[str, NotificationSender] = {}
    channels = NotifyPolicy.from_settings(settings).channels
    if "sms" in channels:
        senders["sms"] = sms_gateway_from_settings(settings)
    smtp = SmtpConfig.from_settings(settings)
    if "email" in channels and smtp is not None:
        senders["email"] = SmtpEmailSender(smtp)
    return senders


def channel_senders(settings: Settings) -> dict[str, ChannelSender]:
    """The outbound adapters of the configured outside channels (by channel name)."""
    senders: dict[str, ChannelSender] = {}
    mail = email_sender(settings)
    if mail is not None:
        senders[mail.channel] = mail
    return senders
