"""The customer's own account («Личный кабинет»): orders, balances, withdrawal with the bank
details, gift certificates. Only a logged-in customer has one (others: 403 ``customer_only``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import account, balance, certificates
from marketdesk.services.account import MyBalances, MyCertificates, MyOrders
from marketdesk.services.balance import BalanceView, BankDetails, WithdrawalList, WithdrawalResult
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
    recipient: str = Field(
        max_length=500, description="получатель: ФИО владельца счёта, как в реквизитах банка"
    )
    bik: str = Field(max_length=32, description="БИК банка получателя, 9 цифр")
    account: str = Field(
        max_length=64,
        description="номер счёта получателя, 20 цифр; проверяется контрольным ключом по БИК",
    )


@router.get("/balance", response_model=BalanceView)
async def get_balance(principal: CurrentPrincipal, session: DbSession) -> BalanceView:
    return await balance.my_balance(session, principal)


@router.get("/balances", response_model=MyBalances)
async def get_balances(principal: CurrentPrincipal, session: DbSession) -> MyBalances:
    """Every balance by kind (рубли, бонусы, баллы) with where the money came from."""
    return await account.my_balances(session, principal)


@router.get("/orders", response_model=MyOrders)
async def get_orders(principal: CurrentPrincipal, session: DbSession) -> MyOrders:
    """The customer's orders, newest first: status, items, the day received, returns."""
    return await account.my_orders(session, principal)


@router.post("/balance/withdraw", response_model=WithdrawalResult)
async def withdraw(
    body: WithdrawRequest, principal: CurrentPrincipal, session: DbSession
) -> WithdrawalResult:
    """At least 100 ₽ or the whole balance, never certificate money, to an account whose
    control key matches the BIK (422 ``invalid_account`` when it does not)."""
    details = BankDetails(recipient=body.recipient, bik=body.bik, account=body.account)
    return await balance.withdraw(session, principal, body.amount, details)


@router.get("/withdrawals", response_model=WithdrawalList)
async def get_withdrawals(principal: CurrentPrincipal, session: DbSession) -> WithdrawalList:
    """The customer's withdrawal requests; account numbers masked."""
    return await balance.withdrawals(session, principal)


@router.get("/certificates", response_model=MyCertificates)
async def get_certificates(principal: CurrentPrincipal, session: DbSession) -> MyCertificates:
    """The certificates the customer activated, and the daily limit: used, when it lifts."""
    return await account.my_certificates(session, principal)


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
