"""WebSockets of the web chat: ``/ws/conversations/{id}`` (customers, visitors, operators)
and ``/ws/operator`` (an operator's queue and conversations), mounted by
``marketdesk.server``. The protocol is described in ``marketdesk.channels.webchat``."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from marketdesk.channels.webchat import CLOSE_POLICY, WebChat
from marketdesk.domain.ids import is_record_id
from marketdesk.services.notifications import presence_interval

__all__ = ["router"]

router = APIRouter()


def _webchat(websocket: WebSocket) -> WebChat:
    state = websocket.app.state
    return WebChat(
        database=state.database,
        broker=state.broker,
        bot=state.bot,
        writer=getattr(state, "chat_writer", None),
        sessions=getattr(state, "session_watch", None),
        limiter=getattr(state, "rate_limiter", None),
        presence=presence_interval(state.settings.notify_offline_delay_seconds),
        settings=state.settings,
    )


@router.websocket("/ws/conversations/{conversation_id}")
async def conversation_socket(websocket: WebSocket, conversation_id: int) -> None:
    if not is_record_id(conversation_id):  # no such conversation can exist
        await websocket.close(code=CLOSE_POLICY, reason="conversation not found")
        return
    await _webchat(websocket).conversation_socket(websocket, conversation_id)


@router.websocket("/ws/operator")
async def operator_socket(websocket: WebSocket) -> None:
    await _webchat(websocket).operator_socket(websocket)
