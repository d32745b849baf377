"""The privacy guard for the console's composer: ``POST /api/v1/guard/check`` tells the
operator before sending, and the console's send path refuses on the server as well."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import conversations as chat
from marketdesk.services import outgoing
from marketdesk.services.conversations import ChatContext
from marketdesk.services.outgoing import GuardResult

from .chat import Chat, conversation_json
from .deps import CurrentOperator, DbSession
from .types import BigId

router = APIRouter(tags=["guard"])


class GuardCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=outgoing.MAX_GUARD_TEXT)
    customer_id: BigId | None = None


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_msg_id: str = Field(min_length=1, max_length=chat.MAX_CLIENT_MSG_ID)
    text: str = Field(max_length=64_000)
    private: bool = False


@router.post("/api/v1/guard/check", response_model=GuardResult)
async def check(body: GuardCheck, operator: CurrentOperator, session: DbSession) -> GuardResult:
    """Would this text disclose coupon-ban details, another customer's data, a full card or
    phone number? ``ok`` false with the reasons (in Russian) if so."""
    return await outgoing.check_text(session, operator, body.text, customer_id=body.customer_id)


@router.post("/api/v1/console/conversations/{conversation_id}/messages")
async def reply(
    conversation_id: Annotated[BigId, Path()],
    body: Reply,
    operator: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> JSONResponse:
    """The console's send: the chat's send with the privacy guard in front (422
    ``privacy_violation`` with ``violations``); ``private`` notes are not checked."""
    result = await outgoing.send_reply(
        session,
        ctx,
        operator,
        conversation_id,
        client_msg_id=body.client_msg_id,
        text=body.text,
        private=body.private,
    )
    data = result.message.model_dump(mode="json")
    data["duplicate"] = result.duplicate
    if result.conversation is not None:
        data["conversation"] = conversation_json(result.conversation, operator)
    return JSONResponse(data, status_code=200 if result.duplicate else 201)
