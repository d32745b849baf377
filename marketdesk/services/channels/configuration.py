"""The outside channels' settings as admins see them: which channels are on, and with what
(secrets masked: a token or a password is only «задан»)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr

from marketdesk.domain.channels import Channel
from marketdesk.domain.roles import Role
from marketdesk.settings import Settings

from ..principals import Principal

__all__ = ["SET", "ChannelConfig", "channel_configuration", "masked_url"]

SET = "задан"


class ChannelConfig(BaseModel):
    channel: str
    title: str
    configured: bool
    settings: dict[str, str | None]
    """``MARKETDESK_*`` name → value as shown (None: not set)."""


def masked_url(url: str | None) -> str | None:
    """A URL with its password replaced by ``•••``."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:•••@{host}"))


def _secret(value: SecretStr | None) -> str | None:
    return SET if value is not None and value.get_secret_value() else None


def configs(settings: Settings) -> list[ChannelConfig]:
    """Every outside channel's settings (no access check: the CLI's and the API's)."""
    smtp_out = masked_url(settings.smtp_url) or (
        f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else None
    )
    return [
        ChannelConfig(
            channel=Channel.EMAIL.value,
            title=Channel.EMAIL.title_ru,
            configured=bool(smtp_out or settings.imap_url or settings.smtp_listen),
            settings={
                "MARKETDESK_SMTP_URL": smtp_out,
                "MARKETDESK_SMTP_LISTEN": settings.smtp_listen,
                "MARKETDESK_IMAP_URL": masked_url(settings.imap_url),
            },
        ),
        ChannelConfig(
            channel=Channel.TELEGRAM.value,
            title=Channel.TELEGRAM.title_ru,
            configured=_secret(settings.telegram_token) is not None,
            settings={
                "MARKETDESK_TELEGRAM_TOKEN": _secret(settings.telegram_token),
                "MARKETDESK_TELEGRAM_SECRET": _secret(settings.telegram_secret),
                "MARKETDESK_TELEGRAM_MODE": settings.telegram_mode,
                "MARKETDESK_TELEGRAM_API": settings.telegram_api,
            },
        ),
        ChannelConfig(
            channel=Channel.VK.value,
            title=Channel.VK.title_ru,
            configured=_secret(settings.vk_token) is not None,
            settings={
                "MARKETDESK_VK_TOKEN": _secret(settings.vk_token),
                "MARKETDESK_VK_SECRET": _secret(settings.vk_secret),
                "MARKETDESK_VK_CONFIRMATION": SET if settings.vk_confirmation else None,
                "MARKETDESK_VK_API": settings.vk_api,
            },
        ),
    ]


def channel_configuration(principal: Principal, settings: Settings) -> list[ChannelConfig]:
    """The channels' settings, for admins."""
    principal.require_operator(Role.ADMIN)
    return configs(settings)
