"""Refusals of the messengers' webhooks (Telegram, VK): the channel is off, or the caller
does not know its secret."""

from __future__ import annotations

from .base import InvalidInput, NotFound, PermissionDenied

__all__ = ["ChannelNotConfigured", "ChannelSecretMismatch", "ChannelUpdateInvalid"]


class ChannelNotConfigured(NotFound):
    code = "channel_not_configured"
    template = "Канал «{channel}» не подключён."


class ChannelSecretMismatch(PermissionDenied):
    code = "channel_secret_mismatch"
    template = "Неверный секретный ключ канала."


class ChannelUpdateInvalid(InvalidInput):
    code = "channel_update_invalid"
    template = "Запрос канала не распознан: ожидался JSON-объект."
