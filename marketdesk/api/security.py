"""The customer's security (issue 14, items 4 and 5): the codeword for support, the
«Безопасность» chat (login codes for another device), the logged-in devices and «Выйти на
всех устройствах». Customers only (others: 403 ``customer_only``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import identity, security
from marketdesk.services.identity import CodewordPolicy, CodewordStatus
from marketdesk.services.security import DeviceList, SecurityChat, SessionsEnded
from marketdesk.settings import Settings

from .deps import CurrentPrincipal, DbSession, get_settings, publisher_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/me", tags=["customer security"])


class CodewordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codeword: str = Field(
        min_length=1,
        max_length=200,
        description="кодовое слово для обращений в поддержку; хранится только его хеш",
    )


@router.get("/codeword", response_model=CodewordStatus)
async def get_codeword(principal: CurrentPrincipal, session: DbSession) -> CodewordStatus:
    """Whether the codeword is set and when (never the word)."""
    return await identity.my_codeword(session, principal)


@router.put("/codeword", response_model=CodewordStatus)
async def put_codeword(
    body: CodewordIn,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> CodewordStatus:
    """Set or change the codeword (argon2 hash, like a password)."""
    return await identity.set_codeword(
        session, principal, body.codeword, policy=CodewordPolicy.from_settings(settings)
    )


@router.get("/security-chat", response_model=SecurityChat)
async def get_security_chat(
    principal: CurrentPrincipal, session: DbSession, limit: int = Query(50, ge=1, le=200)
) -> SecurityChat:
    """The «Безопасность» chat: login codes requested for another device (a code no
    longer valid shows as «••••••»); new ones arrive as ``security_message`` frames."""
    return await security.my_security_chat(session, principal, limit=limit)


@router.get("/devices", response_model=DeviceList)
async def get_devices(principal: CurrentPrincipal, session: DbSession) -> DeviceList:
    """The devices where the customer is logged in; ``current``: the one asking."""
    return await security.my_devices(session, principal)


@router.post("/devices/logout-all", response_model=SessionsEnded)
async def logout_everywhere(
    principal: CurrentPrincipal, session: DbSession, request: Request
) -> SessionsEnded:
    """«Выйти на всех устройствах»: every session of the customer ends, this one too."""
    return await security.end_all_sessions(session, principal, publish=publisher_of(request))
