"""The adapters a process delivers through. Notifications (``MARKETDESK_NOTIFY_CHANNELS``):
SMS through the HTTP gateway or the demo's log file; e-mail when SMTP is configured; Web
Push with the server's VAPID keys; the notification centre when the process has a broker
to publish on (the server, ``marketdesk worker``); VK when the community is configured.
Used by the server and by ``marketdesk worker`` / ``certificate issue`` (no web stack
imported). Conversations of the outside
channels (e-mail, Telegram, VK): the outbound side of each configured channel
(:func:`channel_senders`)."""

from __future__ import annotations

from marketdesk.services.channels import ChannelSender
from marketdesk.services.notifications import NotificationSender, NotifyPolicy, vapid_keys
from marketdesk.settings import Settings

from .centre import CentreSender, Publish
from .email import SmtpConfig, SmtpEmailSender
from .mail import email_sender
from .push import WebPushSender
from .sms import sms_gateway_from_settings
from .telegram_config import TelegramConfig
from .vk import VkChannel, VkNotificationSender

__all__ = ["channel_senders", "notification_senders"]


def notification_senders(
    settings: Settings, *, publish: Publish | None = None
) -> dict[str, NotificationSender]:
    senders: dict[str, NotificationSender] = {}
    channels = NotifyPolicy.from_settings(settings).channels
    if "sms" in channels:
        senders["sms"] = sms_gateway_from_settings(settings)
    smtp = SmtpConfig.from_settings(settings)
    if "email" in channels and smtp is not None:
        senders["email"] = SmtpEmailSender(smtp)
    if "push" in channels:
        senders["push"] = WebPushSender(
            vapid_keys(settings),
            ttl=settings.push_ttl_seconds,
            click_url=settings.public_url.rstrip("/") + "/",
        )
    if "center" in channels and publish is not None:
        senders["center"] = CentreSender(publish)
    vk = VkNotificationSender.from_settings(settings)
    if "vk" in channels and vk is not None:
        senders["vk"] = vk
    return senders


def channel_senders(settings: Settings) -> dict[str, ChannelSender]:
    """The outbound adapters of the configured outside channels (by channel name)."""
    senders: dict[str, ChannelSender] = {}
    mail = email_sender(settings)
    if mail is not None:
        senders[mail.channel] = mail
    if TelegramConfig.from_settings(settings) is not None:
        from .telegram import TelegramChannel  # aiogram: loaded only when configured

        telegram = TelegramChannel.from_settings(settings)
        if telegram is not None:
            senders[telegram.channel] = telegram
    vk = VkChannel.from_settings(settings)
    if vk is not None:
        senders[vk.channel] = vk
    return senders
