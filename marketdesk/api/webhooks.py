"""Events out (issue 16), for admins: ``POST /api/v1/webhooks`` (subscribe; the answer
carries the signing secret ``whsec_…``, once), ``GET /api/v1/webhooks``,
``PATCH /api/v1/webhooks/{id}`` (pause, resume, change), ``DELETE /api/v1/webhooks/{id}``,
``GET /api/v1/webhooks/{id}/deliveries`` (the delivery log) and
``POST /api/v1/webhook-deliveries/{id}/retry`` (send a dead letter again)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.domain.webhooks import MAX_URL_LENGTH, DeliveryStatus, WebhookEvent
from marketdesk.services import webhooks
from marketdesk.services.webhooks import CreatedWebhook, DeliveryView, WebhookView

from .deps import CurrentOperator, DbSession
from .types import BigId

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

EventName = Annotated[str, Field(max_length=64)]
_EVENTS_HELP = "типы событий: " + ", ".join(e.value for e in WebhookEvent)


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=MAX_URL_LENGTH, description="адрес http:// или https://")
    events: list[EventName] = Field(max_length=20, description=_EVENTS_HELP)
    description: str | None = Field(default=None, max_length=1000, description="для себя")


class WebhookChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    events: list[EventName] | None = Field(default=None, max_length=20, description=_EVENTS_HELP)
    description: str | None = Field(default=None, max_length=1000)
    active: bool | None = Field(default=None, description="false — приостановить")


class WebhookList(BaseModel):
    webhooks: list[WebhookView]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryView]


@router.post("/webhooks", response_model=CreatedWebhook, status_code=201)
async def create_webhook(
    body: NewWebhook, operator: CurrentOperator, session: DbSession
) -> CreatedWebhook:
    """Subscribe an endpoint to event types; ``secret`` signs every delivery (Standard
    Webhooks) and is shown only here."""
    return await webhooks.create_webhook(
        session, operator, url=body.url, events=body.events, description=body.description
    )


@router.get("/webhooks", response_model=WebhookList)
async def list_webhooks(operator: CurrentOperator, session: DbSession) -> WebhookList:
    """Every subscription (without secrets) with its waiting and dead deliveries."""
    return WebhookList(webhooks=await webhooks.list_webhooks(session, operator))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookView)
async def update_webhook(
    webhook_id: Annotated[BigId, Path(description="номер вебхука")],
    body: WebhookChange,
    operator: CurrentOperator,
    session: DbSession,
) -> WebhookView:
    """Pause (``active`` false: no new events, what waits waits), resume, or change."""
    return await webhooks.update_webhook(
        session,
        operator,
        webhook_id,
        url=body.url,
        events=body.events,
        description=body.description,
        active=body.active,
    )


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: Annotated[BigId, Path(description="номер вебхука")],
    operator: CurrentOperator,
    session: DbSession,
) -> Response:
    """The subscription goes, with its delivery log."""
    await webhooks.delete_webhook(session, operator, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(
    webhook_id: Annotated[BigId, Path(description="номер вебхука")],
    operator: CurrentOperator,
    session: DbSession,
    status: Annotated[Literal["pending", "delivered", "failed", "all"], Query()] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveryList:
    """The delivery log, newest first."""
    wanted = None if status == "all" else DeliveryStatus(status)
    rows = await webhooks.list_deliveries(session, operator, webhook_id, status=wanted, limit=limit)
    return DeliveryList(deliveries=rows)


@router.post("/webhook-deliveries/{delivery_id}/retry", response_model=DeliveryView)
async def retry_delivery(
    delivery_id: Annotated[BigId, Path(description="номер доставки")],
    operator: CurrentOperator,
    session: DbSession,
) -> DeliveryView:
    """Send a dead letter again (same ``webhook-id``, a fresh count of tries); the worker
    of this process is woken."""
    return await webhooks.retry_delivery(session, operator, delivery_id)
