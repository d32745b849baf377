"""Live chat over REST: everything the WebSockets do, for clients without them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.domain.lines import Line
from marketdesk.services import attachments, chat, visitors
from marketdesk.services.chat import ChatContext
from marketdesk.settings import Settings

from .chat import TEXT_BOUND, Chat, SendMessage, conversation_json, send_result, sent_json
from .deps import CurrentOperator, CurrentPrincipal, DbSession, get_settings
from .json_response import JSONResponse
from .throttle import count_caller, per_caller
from .types import BigId

__all__ = ["router"]

router = APIRouter(tags=["chat"])

# ids are BIGINT: anything outside 1..2^63-1 is refused before it reaches the database
RecordId = Annotated[BigId, Path()]


class VisitorResponse(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int


class FirstMessage(BaseModel):
    """The customer's first message, sent with the conversation's opening."""

    model_config = ConfigDict(extra="forbid")

    client_msg_id: str = Field(min_length=1, max_length=chat.MAX_CLIENT_MSG_ID)
    text: str = Field(max_length=TEXT_BOUND)


class CreateConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line: Line = Line.GENERAL
    seller_topic: str | None = Field(default=None, max_length=120)
    seller_subtopic: str | None = Field(default=None, max_length=120)
    first_message: FirstMessage | None = Field(
        default=None,
        description="первое сообщение покупателя: беседа открывается вместе с ним, "
        "ответ бота приходит в том же ответе (first_message.replies)",
    )


class NewVisitorRequest(BaseModel):
    """A widget visitor's arrival: with ``conversation``, its first conversation too."""

    model_config = ConfigDict(extra="forbid")

    conversation: CreateConversation | None = Field(
        default=None,
        description="первая беседа посетителя (с первым сообщением): открывается тем же "
        "запросом, ответ бота — в conversation.first_message.replies",
    )


class NewVisitorResponse(VisitorResponse):
    conversation: dict[str, Any] | None = Field(
        default=None,
        description="открытая беседа, как её возвращает POST /api/v1/conversations",
    )


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_operator_id: BigId | None = None
    to_line: Line | None = None


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(
        default=None, description="необязательный комментарий, до 1000 символов"
    )


class Availability(BaseModel):
    model_config = ConfigDict(extra="forbid")

    available: bool


@router.post("/api/v1/visitors", response_model=NewVisitorResponse, status_code=201)
async def create_visitor(
    request: Request,
    session: DbSession,
    body: NewVisitorRequest | None = None,
    ctx: ChatContext = Chat,
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    """An anonymous widget visitor: a token for its conversations. With ``conversation``
    the visitor's first conversation is opened in the same request (as ``POST
    /api/v1/conversations`` opens one, with its ``first_message`` and the bot's answer),
    the visitor and the conversation committed together or, on a refusal, neither."""
    ttl = timedelta(hours=max(settings.session_ttl_hours, 24 * 7))
    cache = getattr(request.app.state, "principal_cache", None)
    wanted = body.conversation if body is not None else None
    principal = visitors.new_visitor_principal()
    # the visitor, and its conversation and message, counted in one step
    kinds = ("visitors",) if wanted is None else _OPENING if wanted.first_message else _NEW
    await count_caller(request, kinds, principal)
    opening = None
    if wanted is not None:
        first = wanted.first_message
        opening = visitors.Opening(
            line=wanted.line,
            seller_topic=wanted.seller_topic,
            seller_subtopic=wanted.seller_subtopic,
            client_msg_id=first.client_msg_id if first else None,
            text=first.text if first else None,
        )
    made = await visitors.new_visitor(
        session, ctx, ttl=ttl, cache=cache, principal=principal, opening=opening
    )
    data: dict[str, Any] = {
        "token": made.token,
        "token_type": "bearer",
        "expires_in": int(ttl.total_seconds()),
    }
    if made.conversation is not None:
        data["conversation"] = conversation_json(made.conversation, made.principal)
        if made.sent is not None:
            data["conversation"]["first_message"] = sent_json(made.sent, made.principal)
    return JSONResponse(data, status_code=201)


_NEW = ("visitors", "conversations")
_OPENING = ("visitors", "conversations", "messages")
_BOTH = ("conversations", "messages")


@router.post("/api/v1/conversations", status_code=201)
async def create_conversation(
    request: Request,
    body: CreateConversation,
    principal: CurrentPrincipal,
    session: DbSession,
    ctx: ChatContext = Chat,
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    """201 with a new conversation; when the caller already has
    ``MARKETDESK_OPEN_CONVERSATIONS_PER_LINE`` open ones on the line, 200 with the most
    recent of them instead. With ``first_message`` the message is sent too (to the new
    conversation in the same transaction, or to the open one returned): the answer has it
    as ``first_message``, the message as ``POST …/messages`` answers it, with the bot's
    reply in ``replies``; a retry with the same ``client_msg_id`` is answered with
    ``"duplicate": true``."""
    first = body.first_message
    # a first message is a message as well: both counted, in one step
    await count_caller(request, "conversations" if first is None else _BOTH, principal)
    if first is None:
        view, created = await chat.start_conversation(
            session,
            ctx,
            principal,
            line=body.line,
            seller_topic=body.seller_topic,
            seller_subtopic=body.seller_subtopic,
            max_open=settings.open_conversations_per_line,
        )
        return JSONResponse(conversation_json(view, principal), status_code=201 if created else 200)
    view, created, sent = await chat.start_conversation_with_message(
        session,
        ctx,
        principal,
        client_msg_id=first.client_msg_id,
        text=first.text,
        line=body.line,
        seller_topic=body.seller_topic,
        seller_subtopic=body.seller_subtopic,
        max_open=settings.open_conversations_per_line,
    )
    data = conversation_json(view, principal)
    data["first_message"] = sent_json(sent, principal)
    return JSONResponse(data, status_code=201 if created else 200)


@router.get("/api/v1/conversations")
async def my_conversations(principal: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    """A customer's or visitor's own conversations; an operator's assigned ones."""
    if principal.is_operator:
        views = await chat.list_operator_conversations(session, principal)
    else:
        views = await chat.list_my_conversations(session, principal)
    return {"conversations": [conversation_json(v, principal) for v in views]}


@router.get("/api/v1/conversations/{conversation_id}")
async def get_conversation(
    conversation_id: RecordId, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    view = await chat.get_conversation(session, principal, conversation_id)
    return conversation_json(view, principal)


@router.post(
    "/api/v1/conversations/{conversation_id}/messages",
    dependencies=[Depends(per_caller("messages"))],
)
async def send_message(
    conversation_id: RecordId,
    body: SendMessage,
    principal: CurrentPrincipal,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> JSONResponse:
    """Stored before the answer; the same ``client_msg_id`` again returns the same message
    (200 instead of 201, ``"duplicate": true``)."""
    result = await chat.send(ctx, principal, body.message(conversation_id), session=session)
    return send_result(result, principal)


# the whole request: the file, the text field and the multipart framing; a larger body is
# refused with 413 while it streams in, before anything is spooled to disk
_UPLOAD_BODY_LIMIT = attachments.MAX_BYTES + 4 * TEXT_BOUND + 64 * 1024


@router.post(
    "/api/v1/conversations/{conversation_id}/attachments",
    max_body_size=_UPLOAD_BODY_LIMIT,
    dependencies=[Depends(per_caller("messages"))],
)
async def upload(
    conversation_id: RecordId,
    principal: CurrentPrincipal,
    session: DbSession,
    file: UploadFile = File(description="изображение или PDF"),
    client_msg_id: str = Form(min_length=1, max_length=chat.MAX_CLIENT_MSG_ID),
    text: str = Form("", max_length=TEXT_BOUND),
    private: bool = Form(False),
    ctx: ChatContext = Chat,
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    """Send a file (images, PDF; up to 10 MB) as a message, idempotent on client_msg_id."""
    data = await file.read(attachments.MAX_BYTES + 1)
    result = await attachments.attach(
        session,
        ctx,
        principal,
        conversation_id,
        filename=file.filename or "",
        data=data,
        client_msg_id=client_msg_id,
        text=text,
        private=private,
        data_dir=settings.data_dir,
        quota=attachments.UploadQuota(
            conversation_bytes=settings.upload_quota_conversation_mb * 1024 * 1024,
            daily_bytes=settings.upload_quota_daily_mb * 1024 * 1024,
            daily_files=settings.upload_quota_daily_files,
        ),
    )
    return send_result(result, principal)


@router.get("/api/v1/attachments/{attachment_id}")
async def download(
    attachment_id: RecordId,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: Settings = Depends(get_settings),
) -> FileResponse:
    stored = await attachments.open_attachment(
        session, principal, attachment_id, data_dir=settings.data_dir
    )
    disposition = "inline" if stored.content_type.startswith("image/") else "attachment"
    return FileResponse(
        stored.path,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.get("/api/v1/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: RecordId,
    principal: CurrentPrincipal,
    session: DbSession,
    after_seq: int = Query(0, ge=0, le=2**31 - 1),
    limit: int = Query(chat.MAX_PAGE, ge=1, le=chat.MAX_PAGE),
) -> dict[str, Any]:
    messages = await chat.list_messages(
        session, principal, conversation_id, after_seq=after_seq, limit=limit
    )
    return {"messages": [m.model_dump(mode="json") for m in messages]}


@router.post("/api/v1/conversations/{conversation_id}/handoff")
async def request_operator(
    conversation_id: RecordId,
    principal: CurrentPrincipal,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    """«Позвать оператора»."""
    view = await chat.request_operator(session, ctx, principal, conversation_id)
    return conversation_json(view, principal)


@router.post("/api/v1/conversations/{conversation_id}/rating")
async def rate(
    conversation_id: RecordId,
    body: Rating,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings)],
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    """«Оценка сервиса»: 1–5 and an optional comment, once; a low rating opens a review for
    the supervisors (``MARKETDESK_RATING_LOW_THRESHOLD``)."""
    view = await chat.rate(
        session,
        ctx,
        principal,
        conversation_id,
        body.rating,
        body.comment,
        low_rating=settings.rating_low_threshold,
    )
    return conversation_json(view, principal)


@router.post("/api/v1/conversations/{conversation_id}/escalate")
async def escalate(
    conversation_id: RecordId,
    principal: CurrentPrincipal,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    """«Обратиться к руководству»: the customer (or the seller) of a conversation past its
    service-level deadline raises it to the supervisors, once. Before the deadline: 409
    ``not_overdue``; again: 409 ``already_escalated``; staff: 403; others: 404."""
    view = await chat.escalate(session, ctx, principal, conversation_id)
    return conversation_json(view, principal)


@router.post("/api/v1/conversations/{conversation_id}/close")
async def close(
    conversation_id: RecordId,
    principal: CurrentPrincipal,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    view = await chat.close(session, ctx, principal, conversation_id)
    return conversation_json(view, principal)


@router.post("/api/v1/conversations/{conversation_id}/take")
async def take(
    conversation_id: RecordId,
    principal: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    view = await chat.take(session, ctx, principal, conversation_id)
    return view.model_dump(mode="json")


@router.post("/api/v1/conversations/{conversation_id}/transfer")
async def transfer(
    conversation_id: RecordId,
    body: Transfer,
    principal: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    view = await chat.transfer(
        session,
        ctx,
        principal,
        conversation_id,
        to_operator_id=body.to_operator_id,
        to_line=body.to_line,
    )
    return view.model_dump(mode="json")


@router.post("/api/v1/conversations/{conversation_id}/resolve")
async def resolve(
    conversation_id: RecordId,
    principal: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    view = await chat.resolve(session, ctx, principal, conversation_id)
    return view.model_dump(mode="json")


@router.get("/api/v1/queue/{line}")
async def queue(
    line: str,
    principal: CurrentOperator,
    session: DbSession,
    limit: int = Query(chat.QUEUE_PAGE, ge=1, le=chat.MAX_QUEUE_PAGE),
    offset: int = Query(0, ge=0, le=2**31 - 1),
) -> dict[str, Any]:
    """A page of a line's queue, oldest first: each conversation with its topic and the
    customer's last message (``preview``); the transcript is at
    ``/api/v1/conversations/{id}/messages``. ``total``: the whole queue's length."""
    page = await chat.list_queue(session, principal, line, limit=limit, offset=offset)
    return page.model_dump(mode="json")


@router.put("/api/v1/operator/availability")
async def availability(
    body: Availability,
    principal: CurrentOperator,
    session: DbSession,
    ctx: ChatContext = Chat,
) -> dict[str, Any]:
    """Start (or stop) taking chats: auto-assignment only picks available operators."""
    return await chat.set_availability(session, ctx, principal, body.available)


@router.get("/api/v1/chat/seller-topics")
async def seller_topics() -> dict[str, Any]:
    return {"topics": chat.seller_topics()}
