"""Telegram's webhook: ``POST /api/v1/channels/telegram/{secret}``, mounted by
``marketdesk.server``. Telegram calls it with each update and the
``X-Telegram-Bot-Api-Secret-Token`` header (``setWebhook``'s ``secret_token``); both must be
``MARKETDESK_TELEGRAM_SECRET``. The update is answered 200 only after it is stored, so a
crash before makes Telegram send it again (and the update id keeps it once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import ValidationError

from marketdesk.domain.channels import Channel
from marketdesk.services.errors import (
    ChannelNotConfigured,
    ChannelSecretMismatch,
    ChannelUpdateInvalid,
)

from .app_context import chat_context_of, data_dir_of
from .telegram_config import TelegramInbound
from .telegram_config import telegram_of as telegram_among

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


def telegram_of(request: Request) -> TelegramInbound:
    adapter = telegram_among(getattr(request.app.state, "channel_senders", None))
    if adapter is None or adapter.config.mode != "webhook":
        raise ChannelNotConfigured(channel=Channel.TELEGRAM.title_ru)
    return adapter


@router.post("/telegram/{secret}", status_code=200, include_in_schema=True)
async def telegram_webhook(
    secret: str,
    request: Request,
    token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Response:
    """An update from Telegram (the Bot API's webhook)."""
    adapter = telegram_of(request)
    if not adapter.secret_matches(secret, token):
        raise ChannelSecretMismatch()
    try:
        update = adapter.parse_update(await request.json())
    except (ValueError, ValidationError):
        raise ChannelUpdateInvalid() from None
    await adapter.handle_update(
        chat_context_of(request.app.state), update, data_dir=data_dir_of(request.app.state)
    )
    return Response(status_code=200)
