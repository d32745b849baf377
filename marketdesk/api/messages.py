"""The messages hub and the buyer ↔ seller chat (issue 14, items 1 and 2).

The customer's side (a logged-in customer only; others 403 ``customer_only``): the hub with
the tabs «Поддержка» and «Продавцы» and their unread counts, the read mark, and writing to
the seller of a product or an order. The seller's side («Покупатели»; a staff account that
answers for a seller, others 403 ``seller_only``): the buyers' dialogues, the read mark, and
passing a case to support. Support brings a seller into a case. The messages themselves go
through the chat's ordinary routes and sockets (``/api/v1/conversations/{id}/messages``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import chat, messages_hub
from marketdesk.services.chat import ChatContext, SellerChatSubject
from marketdesk.services.messages_hub import CustomerHub, ReadMark, SellerHub

from .chat import Chat, conversation_json
from .deps import CurrentOperator, CurrentPrincipal, DbSession
from .json_response import JSONResponse
from .types import BigId

router = APIRouter(tags=["messages hub"])
RecordId = Annotated[BigId, Path()]


class ReadUpTo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, le=2_147_483_647, description="последнее прочитанное сообщение (seq)")


class WriteToSeller(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: BigId | None = Field(default=None, description="товар, о котором пишет покупатель")
    order_number: str | None = Field(
        default=None, min_length=1, max_length=32, description="номер заказа покупателя"
    )


class BringSeller(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller_id: BigId = Field(description="продавец, которого поддержка подключает к диалогу")


@router.get("/api/v1/me/dialogues", response_model=CustomerHub)
async def my_dialogues(principal: CurrentPrincipal, session: DbSession) -> CustomerHub:
    """«Сообщения»: the customer's dialogues, «Поддержка» and «Продавцы», newest first, with
    the unread counts."""
    return await messages_hub.customer_hub(session, principal)


@router.post("/api/v1/me/dialogues/{conversation_id}/read", response_model=ReadMark)
async def my_dialogue_read(
    conversation_id: RecordId, body: ReadUpTo, principal: CurrentPrincipal, session: DbSession
) -> ReadMark:
    """The customer has read the dialogue up to ``seq`` (a mark never goes back)."""
    return await messages_hub.mark_read(session, principal, conversation_id, body.seq)


@router.post(
    "/api/v1/me/seller-chats",
    status_code=201,
    responses={200: {"description": "Диалог с этим продавцом уже открыт: он и возвращается"}},
)
async def write_to_seller(
    body: WriteToSeller, principal: CurrentPrincipal, session: DbSession, ctx: ChatContext = Chat
) -> JSONResponse:
    """«Написать продавцу» from a product card or an order: the open dialogue with its
    seller (200) or a new one (201). Retail goods: 409 ``seller_chat_retail``."""
    subject = SellerChatSubject(product_id=body.product_id, order_number=body.order_number)
    view, new = await chat.open_seller_chat(session, ctx, principal, subject)
    return JSONResponse(conversation_json(view, principal), status_code=201 if new else 200)


@router.get("/api/v1/seller/dialogues", response_model=SellerHub)
async def buyers(principal: CurrentPrincipal, session: DbSession) -> SellerHub:
    """«Покупатели»: the dialogues of the caller's sellers, with the buyers' unread messages."""
    return await messages_hub.seller_hub(session, principal)


@router.post("/api/v1/seller/dialogues/{conversation_id}/read", response_model=ReadMark)
async def buyer_dialogue_read(
    conversation_id: RecordId, body: ReadUpTo, principal: CurrentPrincipal, session: DbSession
) -> ReadMark:
    return await messages_hub.mark_read(session, principal, conversation_id, body.seq)


@router.post("/api/v1/seller/dialogues/{conversation_id}/to-support")
async def pass_to_support(
    conversation_id: RecordId,
    principal: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    """The seller passes the case to support: it joins the general line's queue."""
    view = await chat.pass_to_support(session, ctx, principal, conversation_id)
    return view.model_dump(mode="json")


@router.post("/api/v1/conversations/{conversation_id}/seller")
async def bring_seller(
    conversation_id: RecordId,
    body: BringSeller,
    principal: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    """Support brings the seller into the case: the dialogue becomes the buyer ↔ seller chat;
    the operator keeps reading it."""
    view = await chat.bring_seller(session, ctx, principal, conversation_id, body.seller_id)
    return view.model_dump(mode="json")
