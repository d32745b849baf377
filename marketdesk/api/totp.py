"""An operator turns on their own second factor (TOTP): a secret shown once, then a code."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services.people import totp
from marketdesk.services.people.totp import Enrolment, TotpStatus
from marketdesk.services.sealing import sealer_for
from marketdesk.settings import Settings

from .deps import CurrentOperator, DbSession, get_settings

router = APIRouter(prefix="/api/v1/auth/totp", tags=["auth"])


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=16)


@router.get("", response_model=TotpStatus)
async def totp_status(operator: CurrentOperator, session: DbSession) -> TotpStatus:
    """Whether the caller's second factor is on (or waits for its confirmation)."""
    return await totp.status(session, operator)


@router.post("", response_model=Enrolment)
async def start(
    operator: CurrentOperator, session: DbSession, settings: Settings = Depends(get_settings)
) -> Enrolment:
    """A new secret for the caller's authenticator app, shown only in this answer (and as
    an ``otpauth://`` URI); the factor is on once confirmed with a code."""
    return await totp.start(session, operator, sealer=sealer_for(settings))


@router.post("/confirm", response_model=TotpStatus)
async def confirm(
    body: ConfirmRequest,
    operator: CurrentOperator,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> TotpStatus:
    """Turn the second factor on with the code the app shows now; from then on the login
    needs a code."""
    return await totp.confirm(session, operator, body.code, sealer=sealer_for(settings))
