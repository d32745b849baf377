"""Identity checks by the operator (issue 14, item 5): the codeword the customer says is
checked in the conversation (match or no match, never the word), and the actions that need
a passed check: the customer's contacts told to them, a new login phone, a withdrawal
through support; the forgotten codeword's task and its reset by the back office."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import identity, identity_actions
from marketdesk.services.balance import BankDetails, WithdrawalResult
from marketdesk.services.customers import Contacts
from marketdesk.services.identity import CheckResult, CodewordPolicy, CodewordStatus, IdentityState
from marketdesk.services.identity_actions import LoginPhoneChanged
from marketdesk.services.tasks import TaskCard
from marketdesk.settings import Settings

from .deps import CurrentOperator, DbSession, get_settings, publisher_of
from .types import BigId

__all__ = ["router"]

router = APIRouter(tags=["identity checks"])

ConversationId = Annotated[BigId, Path(description="ID диалога с клиентом")]
CustomerId = Annotated[BigId, Path(description="ID покупателя")]


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(
        min_length=1, max_length=200, description="что клиент назвал кодовым словом"
    )


class LoginPhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40, description="новый телефон для входа")


class SupportWithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Decimal, Field(description="сумма в рублях, например 150.50")]
    recipient: str = Field(max_length=500, description="ФИО владельца счёта")
    bik: str = Field(max_length=32, description="БИК банка получателя, 9 цифр")
    account: str = Field(max_length=64, description="номер счёта получателя, 20 цифр")


async def _policy(settings: Settings = Depends(get_settings)) -> CodewordPolicy:
    return CodewordPolicy.from_settings(settings)


Policy = Annotated[CodewordPolicy, Depends(_policy)]


@router.get("/api/v1/conversations/{conversation_id}/identity", response_model=IdentityState)
async def get_identity(
    conversation_id: ConversationId, operator: CurrentOperator, session: DbSession, policy: Policy
) -> IdentityState:
    """Whether the customer has a codeword, passed a check here, how many tries are left."""
    return await identity.identity_state(session, operator, conversation_id, policy=policy)


@router.post("/api/v1/conversations/{conversation_id}/identity/check", response_model=CheckResult)
async def check(
    conversation_id: ConversationId,
    body: CheckIn,
    operator: CurrentOperator,
    session: DbSession,
    policy: Policy,
) -> CheckResult:
    """Match or no match (never the word); ``MARKETDESK_CODEWORD_MAX_MISSES`` misses lock
    the checks for ``MARKETDESK_CODEWORD_LOCK_MINUTES`` (429 ``codeword_locked``). Audited."""
    return await identity.check_codeword(
        session, operator, conversation_id, body.answer, policy=policy
    )


@router.post(
    "/api/v1/conversations/{conversation_id}/identity/codeword-reset",
    response_model=TaskCard,
    status_code=201,
)
async def codeword_reset(
    conversation_id: ConversationId, operator: CurrentOperator, session: DbSession, policy: Policy
) -> TaskCard:
    """The customer forgot the codeword: a task for the back office
    (``MARKETDESK_CODEWORD_RESET_QUEUE``) to identify them."""
    return await identity.request_codeword_reset(session, operator, conversation_id, policy=policy)


@router.post("/api/v1/conversations/{conversation_id}/identity/contacts", response_model=Contacts)
async def contacts(
    conversation_id: ConversationId, operator: CurrentOperator, session: DbSession
) -> Contacts:
    """The customer's phone and e-mail, to tell them: after a passed check. Audited."""
    return await identity_actions.reveal_contacts(session, operator, conversation_id)


@router.post(
    "/api/v1/conversations/{conversation_id}/identity/login-phone",
    response_model=LoginPhoneChanged,
)
async def login_phone(
    conversation_id: ConversationId,
    body: LoginPhoneIn,
    operator: CurrentOperator,
    session: DbSession,
    request: Request,
) -> LoginPhoneChanged:
    """The customer logs in with a new phone: after a passed check. Every session of the
    customer ends (``sessions_ended``): they log in again with the new phone. Audited."""
    return await identity_actions.change_login_phone(
        session, operator, conversation_id, body.phone, publish=publisher_of(request)
    )


@router.post(
    "/api/v1/conversations/{conversation_id}/identity/withdrawals",
    response_model=WithdrawalResult,
)
async def withdrawal(
    conversation_id: ConversationId,
    body: SupportWithdrawalIn,
    operator: CurrentOperator,
    session: DbSession,
) -> WithdrawalResult:
    """A withdrawal the customer asks support for: after a passed check, the account's
    rules (at least 100 ₽, the control key of the account)."""
    details = BankDetails(recipient=body.recipient, bik=body.bik, account=body.account)
    return await identity_actions.support_withdrawal(
        session, operator, conversation_id, body.amount, details
    )


@router.delete("/api/v1/customers/{customer_id}/codeword", response_model=CodewordStatus)
async def clear_codeword(
    customer_id: CustomerId, operator: CurrentOperator, session: DbSession
) -> CodewordStatus:
    """The back office, after identifying the customer: the codeword is gone and the customer
    sets a new one (backoffice, supervisors, admins). Audited."""
    return await identity.clear_codeword(session, operator, customer_id)
