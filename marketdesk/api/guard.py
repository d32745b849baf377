"""The privacy guard for the console's composer: ``POST /api/v1/guard/check`` tells the
operator before sending (with a ``conversation_id``: a dry run of the send itself), and the
console's send path refuses on the server as well."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import chat
from marketdesk.services.chat import ChatContext, GuardResult

from .chat import Chat, SendMessage, send_result
from .deps import CurrentOperator, DbSession
from .json_response import JSONResponse
from .types import BigId

router = APIRouter(tags=["guard"])


class GuardCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=chat.MAX_GUARD_TEXT)
    customer_id: BigId | None = None
    conversation_id: BigId | None = Field(
        default=None,
        description="с ним проверка — пробная отправка в этот диалог: те же проверки, "
        "что у отправки, без сохранения",
    )
    private: bool = False


@router.post("/api/v1/guard/check", response_model=GuardResult)
async def check(
    body: GuardCheck, operator: CurrentOperator, session: DbSession, ctx: ChatContext = Chat
) -> GuardResult:
    """Would this text disclose coupon-ban details, another customer's data, a full card or
    phone number? ``ok`` false with the reasons (in Russian) if so. With
    ``conversation_id``, a dry run of the send: what the send would refuse (a closed
    conversation, one not assigned to the caller) is refused the same way."""
    if body.conversation_id is None:
        return await chat.check_text(session, operator, body.text, customer_id=body.customer_id)
    message = chat.OutgoingMessage(
        conversation_id=body.conversation_id,
        client_msg_id="dry-run",
        text=body.text,
        private=body.private,
    )
    return await chat.preview(ctx, operator, message, session=session)


@router.post("/api/v1/console/conversations/{conversation_id}/messages")
async def reply(
    conversation_id: Annotated[BigId, Path()],
    body: SendMessage,
    operator: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> JSONResponse:
    """The console's send: the chat's send with the privacy guard in front (422
    ``privacy_violation`` with ``violations``); ``private`` notes are not checked."""
    result = await chat.send(ctx, operator, body.message(conversation_id), session=session)
    return send_result(result, operator)
