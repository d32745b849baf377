"""Notifications: the customer's settings, their notification centre and Web Push
subscriptions, what an operator sees in the card (settings and the delivery log), failure
rates per channel for supervisors, the one-click unsubscribe link of marketing e-mail (no
login), and the SMS gateway's delivery reports (its shared secret)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import notifications
from marketdesk.services.notifications import (
    CentreView,
    ChannelStats,
    DeliveryLog,
    PushSubscriptionIn,
    ReportOutcome,
    SettingItem,
    SettingsView,
    Unsubscribed,
)
from marketdesk.settings import Settings

from .csp import page_headers
from .deps import CurrentOperator, CurrentPrincipal, DbSession, get_settings
from .types import BigId

__all__ = ["router"]

router = APIRouter(tags=["notifications"])

CustomerId = Annotated[BigId, Path(description="ID покупателя")]
Token = Annotated[str, Query(min_length=1, max_length=200, description="подпись ссылки")]


class SettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: list[SettingItem] = Field(max_length=100)


@router.get("/api/v1/me/notification-settings", response_model=SettingsView)
async def my_settings(principal: CurrentPrincipal, session: DbSession) -> SettingsView:
    """Every type × channel, on or off; ``can_disable``: the type may be off everywhere."""
    return await notifications.my_settings(session, principal)


@router.put("/api/v1/me/notification-settings", response_model=SettingsView)
async def change_settings(
    body: SettingsChange, principal: CurrentPrincipal, session: DbSession
) -> SettingsView:
    """Change some (all or none apply); orders and account keep at least one channel."""
    return await notifications.change_settings(session, principal, body.settings)


class ReadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[BigId] | None = Field(
        default=None, max_length=200, description="какие прочитаны; без поля — все"
    )


@router.get("/api/v1/me/notifications", response_model=CentreView)
async def my_centre(
    principal: CurrentPrincipal, session: DbSession, limit: int = Query(50, ge=1, le=200)
) -> CentreView:
    """The notification centre: the newest items first and the unread count (new items
    arrive live as ``notification`` frames on the customer's socket)."""
    return await notifications.my_centre(session, principal, limit=limit)


@router.post("/api/v1/me/notifications/read", response_model=CentreView)
async def mark_read(
    body: ReadRequest, principal: CurrentPrincipal, session: DbSession
) -> CentreView:
    """Mark items of the centre read (all of them without ``ids``)."""
    return await notifications.mark_read(session, principal, body.ids)


class PushKey(BaseModel):
    public_key: str
    """The server's VAPID public key (base64url): ``applicationServerKey`` of
    ``pushManager.subscribe``."""


@router.get("/api/v1/notifications/push-key", response_model=PushKey)
async def push_key(settings: Settings = Depends(get_settings)) -> PushKey:
    return PushKey(public_key=notifications.vapid_keys(settings).public_key)


@router.post("/api/v1/me/push-subscriptions", status_code=204)
async def subscribe_push(
    body: PushSubscriptionIn,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> Response:
    """Keep this browser's push subscription (``PushSubscription.toJSON()``)."""
    await notifications.save_subscription(
        session, principal, body, max_devices=settings.push_max_devices
    )
    return Response(status_code=204)


@router.delete("/api/v1/me/push-subscriptions", status_code=204)
async def unsubscribe_push(
    principal: CurrentPrincipal,
    session: DbSession,
    endpoint: str = Query(min_length=1, max_length=1000),
) -> Response:
    """Forget this browser's push subscription."""
    await notifications.remove_subscription(session, principal, endpoint)
    return Response(status_code=204)


@router.get("/api/v1/customers/{customer_id}/notification-settings", response_model=SettingsView)
async def customer_settings(
    customer_id: CustomerId, principal: CurrentOperator, session: DbSession
) -> SettingsView:
    """The customer's settings as the card shows them (staff)."""
    return await notifications.customer_settings(session, principal, customer_id)


@router.get("/api/v1/customers/{customer_id}/notifications", response_model=DeliveryLog)
async def customer_log(
    customer_id: CustomerId,
    principal: CurrentOperator,
    session: DbSession,
    limit: int = Query(100, ge=1, le=500),
) -> DeliveryLog:
    """The delivery log (staff): type, channel, sender, template, status and times; never
    the text nor a code it carried."""
    return await notifications.customer_log(session, principal, customer_id, limit=limit)


class ChannelStatsList(BaseModel):
    hours: int
    channels: list[ChannelStats]


@router.get("/api/v1/notifications/stats", response_model=ChannelStatsList)
async def channel_stats(
    principal: CurrentOperator, session: DbSession, hours: int = Query(24, ge=1, le=24 * 31)
) -> ChannelStatsList:
    """Supervisors: each channel's notifications of the last ``hours`` by status, and the
    share that failed."""
    stats = await notifications.channel_stats(session, principal, hours=hours)
    return ChannelStatsList(hours=hours, channels=stats)


_PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Отписка от рассылки</title></head><body>
<h1>Отписка от рассылки</h1>
<p>Нажмите кнопку, чтобы больше не получать маркетинговые рассылки.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Отписаться</button></form></body></html>"""


@router.get("/api/v1/notifications/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_page(token: Token) -> HTMLResponse:
    """What the link opens in a browser: a button (a mail scanner that follows links does not
    unsubscribe anyone); the button posts to the same address."""
    csp = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    return HTMLResponse(_PAGE, headers=page_headers(csp, frame_options="DENY"))


@router.post("/api/v1/notifications/unsubscribe", response_model=Unsubscribed)
async def unsubscribe(
    token: Token, session: DbSession, settings: Settings = Depends(get_settings)
) -> Unsubscribed:
    """RFC 8058 one-click unsubscribe: the signed link is the proof, no login."""
    return await notifications.unsubscribe(session, token, secret=settings.hashing_secret())


@router.post(
    "/api/v1/notifications/sms-status",
    response_model=ReportOutcome,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["id", "status"],
                        "properties": {
                            "id": {"type": "string", "description": "id сообщения у шлюза"},
                            "status": {"type": "string", "example": "delivered"},
                            "reason": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def sms_status(
    request: Request,
    session: DbSession,
    settings: Settings = Depends(get_settings),
    signature: str | None = Header(
        None, alias="X-Signature", max_length=200, description="sha256=<HMAC-SHA256 тела>"
    ),
    secret: str | None = Query(
        None, max_length=200, description="общий секрет, если шлюз не умеет подписывать"
    ),
) -> ReportOutcome:
    """The SMS gateway's delivery report (README: «Отчёты о доставке SMS»): a sent SMS
    becomes ``delivered`` or ``failed`` with the reason in the customer's delivery log."""
    shared = settings.sms_status_secret
    return await notifications.sms_report(
        session,
        await request.body(),
        secret=shared.get_secret_value() if shared else None,
        signature=signature,
        token=secret,
    )
