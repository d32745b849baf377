"""The outside channels (e-mail, Telegram, VK), as the console sees them:
``GET /api/v1/conversations/{id}/deliveries`` (where each reply into the channel stands),
``POST /api/v1/channel-deliveries/{id}/retry`` («Повторить» on «не доставлено»), and
``GET /api/v1/admin/channels`` (the channels' settings, secrets masked; admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from marketdesk.services import channels
from marketdesk.services.channels import ChannelConfig, DeliveryView

from .chat import context_of
from .deps import CurrentOperator, DbSession, settings_of
from .types import BigId

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["channels"])


class DeliveryList(BaseModel):
    deliveries: list[DeliveryView]


@router.get("/conversations/{conversation_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(
    conversation_id: Annotated[BigId, Path(description="номер диалога")],
    operator: CurrentOperator,
    session: DbSession,
) -> DeliveryList:
    """Where each message into the conversation's channel stands (none for the web chat)."""
    return DeliveryList(
        deliveries=await channels.list_deliveries(session, operator, conversation_id)
    )


@router.post("/channel-deliveries/{delivery_id}/retry", response_model=DeliveryView)
async def retry_delivery(
    delivery_id: Annotated[BigId, Path(description="номер доставки")],
    operator: CurrentOperator,
    session: DbSession,
    request: Request,
) -> DeliveryView:
    """«Повторить»: a message «не доставлено» is sent again."""
    view = await channels.retry_delivery(
        session, operator, delivery_id, publish=context_of(request).publish
    )
    worker = getattr(request.app.state, "channel_worker", None)
    if worker is not None:
        worker.wake()
    return view


class ChannelConfigList(BaseModel):
    channels: list[ChannelConfig]


@router.get("/admin/channels", response_model=ChannelConfigList)
async def channel_settings(operator: CurrentOperator, request: Request) -> ChannelConfigList:
    """Which outside channels are on, and their settings (tokens and passwords masked)."""
    return ChannelConfigList(
        channels=channels.channel_configuration(operator, settings_of(request))
    )
