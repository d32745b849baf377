"""VK's Callback API: ``POST /api/v1/channels/vk``, mounted by ``marketdesk.server``.

``confirmation`` is answered with ``MARKETDESK_VK_CONFIRMATION`` as plain text; every event
must carry ``MARKETDESK_VK_SECRET`` as its ``secret``; ``message_new`` is stored, then
answered «ok» (VK sends an event again until it gets «ok», and the message id keeps it
once); other events are answered «ok» and ignored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from marketdesk.domain.channels import Channel
from marketdesk.services.errors import (
    ChannelNotConfigured,
    ChannelSecretMismatch,
    ChannelUpdateInvalid,
)

from .app_context import chat_context_of, data_dir_of
from .vk import VkChannel

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


def vk_of(request: Request) -> VkChannel:
    adapter = getattr(request.app.state, "channel_senders", {}).get(Channel.VK.value)
    if not isinstance(adapter, VkChannel):
        raise ChannelNotConfigured(channel=Channel.VK.title_ru)
    return adapter


async def _event(request: Request) -> dict[str, Any]:
    try:
        event = await request.json()
    except ValueError:
        raise ChannelUpdateInvalid() from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ChannelUpdateInvalid()
    return event


def _is_message(body: Any) -> bool:
    """A ``message_new`` object: ``{"message": {"peer_id": …}, …}`` (or the message itself)."""
    message = body.get("message", body) if isinstance(body, dict) else None
    peer = message.get("peer_id") if isinstance(message, dict) else None
    return isinstance(peer, int) or (isinstance(peer, str) and peer.lstrip("-").isdigit())


@router.post("/vk", response_class=PlainTextResponse)
async def vk_callback(request: Request) -> PlainTextResponse:
    """An event of the community (the VK Callback API)."""
    adapter = vk_of(request)
    event = await _event(request)
    if not adapter.secret_matches(event.get("secret")):
        raise ChannelSecretMismatch()
    if event["type"] == "confirmation":
        if not adapter.config.confirmation:
            raise ChannelNotConfigured(channel=Channel.VK.title_ru)
        return PlainTextResponse(adapter.config.confirmation)
    if event["type"] == "message_new":
        if not _is_message(event.get("object")):
            raise ChannelUpdateInvalid()
        await adapter.handle_message(
            chat_context_of(request.app.state), event, data_dir=data_dir_of(request.app.state)
        )
    return PlainTextResponse("ok")
