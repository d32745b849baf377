"""What the chat's routers share (``conversations``, ``guard``): the chat context of a
request and a conversation's JSON for its reader. Not a router: routers do not import one
another."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from marketdesk.services import conversations as chat
from marketdesk.services.conversations import ChatContext, ConversationView
from marketdesk.services.principals import Principal

__all__ = ["Chat", "chat_context", "conversation_json"]


def chat_context(request: Request) -> ChatContext:
    broker = getattr(request.app.state, "broker", None)
    return ChatContext(
        bot=getattr(request.app.state, "bot", None),
        publish=broker.publish if broker is not None else chat.ChatContext().publish,
        writer=getattr(request.app.state, "chat_writer", None),
    )


Chat = Depends(chat_context)


def conversation_json(view: ConversationView, principal: Principal) -> dict[str, Any]:
    if principal.is_operator:
        return view.model_dump(mode="json")
    return chat.public_view(view)
