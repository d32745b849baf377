"""Operator login and logout."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import auth, chat_access
from marketdesk.services.sealing import sealer_for
from marketdesk.settings import Settings

from .deps import CurrentPrincipal, DbSession, get_settings, publisher_of
from .throttle import client_ip, get_limiter

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp_code: str | None = Field(
        default=None,
        max_length=16,
        description="the 6-digit code of the operator's authenticator app, once they enrolled "
        "(without it: 401 totp_required)",
    )


class TokenResponse(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int


class MeResponse(BaseModel):
    kind: str
    id: str
    name: str
    roles: list[str]
    # the sellers a staff account answers for in the buyer ↔ seller chat («Покупатели»)
    sellers: list[int] = []


@router.post("/login", response_model=TokenResponse)
async def login(
    body: LoginRequest,
    request: Request,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> TokenResponse:
    """Failed logins are counted per login and per IP: after a few, 429 ``rate_limited``
    with ``Retry-After`` (a growing lockout), for existing and unknown logins alike. An
    operator with the second factor on needs ``totp_code`` too: 401 ``totp_required``
    without it, 401 ``totp_invalid`` (a failure, counted) for a wrong one."""
    ttl = timedelta(hours=settings.session_ttl_hours)
    token = await auth.login(
        session,
        body.login,
        body.password,
        ttl=ttl,
        limiter=get_limiter(request),
        ip=client_ip(request),
        totp_code=body.totp_code,
        sealer=sealer_for(settings),
    )
    return TokenResponse(token=token, expires_in=int(ttl.total_seconds()))


@router.post("/logout", status_code=204)
async def logout(principal: CurrentPrincipal, session: DbSession, request: Request) -> Response:
    """End this session; its open sockets close at once (in every server process)."""
    await auth.logout(session, principal, publish=publisher_of(request))
    return Response(status_code=204)


@router.get("/me", response_model=MeResponse)
async def me(principal: CurrentPrincipal, session: DbSession) -> MeResponse:
    sellers = (
        await chat_access.seller_ids(session, int(principal.id)) if principal.is_operator else []
    )
    return MeResponse(
        kind=principal.kind,
        id=str(principal.id),
        name=principal.name,
        roles=sorted(principal.roles),
        sellers=sellers,
    )
