"""The customer's own account: balance, withdrawal, gift certificates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import balance, certificates
from marketdesk.services.balance import BalanceView, WithdrawalResult
from marketdesk.services.certificates import ActivationResult
from marketdesk.settings import Settings

from .deps import CurrentPrincipal, DbSession, get_settings
from .throttle import per_caller

router = APIRouter(prefix="/api/v1/me", tags=["customer account"])


class ActivateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, description="код активации сертификата")


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Decimal, Field(description="сумма в рублях, например 150.50")]


@router.get("/balance", response_model=BalanceView)
async def get_balance(principal: CurrentPrincipal, session: DbSession) -> BalanceView:
    return await balance.my_balance(session, principal)


@router.post("/balance/withdraw", response_model=WithdrawalResult)
async def withdraw(
    body: WithdrawRequest, principal: CurrentPrincipal, session: DbSession
) -> WithdrawalResult:
    return await balance.withdraw(session, principal, body.amount)


@router.post(
    "/certificates/activate",
    response_model=ActivationResult,
    dependencies=[Depends(per_caller("certificates"))],
)
async def activate(
    body: ActivateRequest,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> ActivationResult:
    return await certificates.activate_certificate(
        session, principal, body.code, secret=settings.hashing_secret()
    )
