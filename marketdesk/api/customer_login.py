"""Customer login by phone and one-time code; the SMS deliveries for supervisors."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette

from marketdesk.domain.identity import device_label
from marketdesk.domain.login import LoginChannel
from marketdesk.services import customer_login
from marketdesk.services.customer_login import CodeRequested
from marketdesk.settings import Settings

from .deps import CurrentOperator, DbSession, get_settings, publisher_of
from .throttle import client_ip, get_limiter

__all__ = ["router"]

router = APIRouter(tags=["customer login"])

log = logging.getLogger("marketdesk.sms")


async def deliver_sms(app: Starlette) -> None:
    """Deliver the outbox now (after the response: a known phone and an unknown one answer
    alike); the notification worker retries whatever fails here."""
    worker = getattr(app.state, "notification_worker", None)
    if worker is None:
        return
    try:
        await worker.round_now()
    except Exception:
        log.exception("SMS delivery after a code request failed; the worker will retry")


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40)
    method: Literal["sms", "security_chat", "push"] = Field(
        default="sms",
        description="как прислать код: SMS, чат «Безопасность» на устройствах, где клиент "
        "уже вошёл, или push-уведомление в его браузеры",
    )


class CodeVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=16)
    visitor_token: str | None = Field(
        default=None, max_length=512, description="the widget's visitor: its chats move over"
    )


class CustomerToken(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int
    customer_id: int


@router.post("/api/v1/auth/phone/code", response_model=CodeRequested)
async def request_code(
    body: CodeRequest,
    request: Request,
    session: DbSession,
    background: BackgroundTasks,
    settings: Settings = Depends(get_settings),
) -> CodeRequested:
    """Send a one-time code by SMS, into the «Безопасность» chat of the customer's
    logged-in devices, or by push. Known and unknown phones get the same answer. Whatever
    the method: at most 1 a minute and 5 an hour per phone, and
    ``MARKETDESK_RATE_CODES_PER_IP`` per IP; 5 wrong tries void a code."""
    ip = client_ip(request)
    limiter = get_limiter(request)
    if limiter is not None:
        await limiter.check("codes", ip=ip)
    answer = await customer_login.request_code(
        session,
        phone=body.phone,
        ip=ip,
        secret=settings.hashing_secret(),
        ip_limits=limiter.items("codes", "ip") if limiter is not None and limiter.enabled else (),
        method=LoginChannel(body.method),
        publish=publisher_of(request),
    )
    background.add_task(deliver_sms, request.app)
    return answer


@router.post("/api/v1/auth/phone/verify", response_model=CustomerToken)
async def verify_code(
    body: CodeVerify,
    session: DbSession,
    request: Request,
    settings: Settings = Depends(get_settings),
) -> CustomerToken:
    """Log in with the code; the visitor's chats move over and the visitor's token ends."""
    ttl = timedelta(hours=settings.session_ttl_hours)
    token, customer_id = await customer_login.verify_code(
        session,
        phone=body.phone,
        code=body.code,
        secret=settings.hashing_secret(),
        ttl=ttl,
        visitor_token=body.visitor_token,
        publish=publisher_of(request),
        device=device_label(request.headers.get("user-agent")),
    )
    return CustomerToken(token=token, expires_in=int(ttl.total_seconds()), customer_id=customer_id)


@router.get("/api/v1/sms-outbox")
async def sms_outbox(
    principal: CurrentOperator, session: DbSession, limit: int = Query(50, ge=1, le=500)
) -> dict[str, Any]:
    """SMS deliveries (phone masked, status, times; never the text): supervisors, admins."""
    entries = await customer_login.list_sms_outbox(session, principal, limit=limit)
    return {"messages": [e.model_dump(mode="json") for e in entries]}
