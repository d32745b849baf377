"""What the chat's routers share (``conversations``, ``guard``): the chat context of a
request and a conversation's JSON for its reader. Not a router: routers do not import one
another."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.services import chat
from marketdesk.services.chat import ChatContext, ConversationView
from marketdesk.services.principals import Principal

from .json_response import JSONResponse

__all__ = [
    "TEXT_BOUND",
    "Chat",
    "SendMessage",
    "chat_context",
    "context_of",
    "conversation_json",
    "send_result",
    "sent_json",
]

# generous bound on the body; the 4 000-character rule is the service's, with its own message
TEXT_BOUND = 64_000


def context_of(request: Request) -> ChatContext:
    """The chat's context of the application serving ``request``."""
    return ChatContext.of_server(request.app.state)


async def chat_context(request: Request) -> ChatContext:
    """The dependency (a coroutine, not a hand-off to FastAPI's thread pool)."""
    return context_of(request)


Chat = Depends(chat_context)


def conversation_json(view: ConversationView, principal: Principal) -> dict[str, Any]:
    if principal.is_operator:
        return view.model_dump(mode="json")
    return chat.public_view(view)


class SendMessage(BaseModel):
    """The body of a send (REST and the console)."""

    model_config = ConfigDict(extra="forbid")

    client_msg_id: str = Field(min_length=1, max_length=chat.MAX_CLIENT_MSG_ID)
    text: str = Field(max_length=TEXT_BOUND)
    private: bool = False

    def message(self, conversation_id: int) -> chat.OutgoingMessage:
        return chat.OutgoingMessage(
            conversation_id=conversation_id,
            client_msg_id=self.client_msg_id,
            text=self.text,
            private=self.private,
        )


def sent_json(result: chat.SendResult, principal: Principal) -> dict[str, Any]:
    """A sent message with ``duplicate`` (a retry), the replies it brought and the
    conversation after it."""
    data = result.message.model_dump(mode="json")
    data["duplicate"] = result.duplicate
    data["replies"] = [m.model_dump(mode="json") for m in result.replies]
    if result.conversation is not None:
        data["conversation"] = conversation_json(result.conversation, principal)
    return data


def send_result(result: chat.SendResult, principal: Principal) -> JSONResponse:
    """A sent message (:func:`sent_json`): 201, or 200 with ``"duplicate": true`` for a
    retry."""
    return JSONResponse(sent_json(result, principal), status_code=200 if result.duplicate else 201)
