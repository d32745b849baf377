"""The supervisors' wallboard: ``GET /api/v1/board`` (supervisors and admins), the snapshot
the page ``/console/board`` shows first; then it is pushed over the operator socket
(``{"type": "board", "board": …}``, ``workers/board.py``)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from marketdesk.services import board
from marketdesk.services.board import Board

from .deps import CurrentOperator, DbSession, settings_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/board", tags=["board"])


@router.get("", response_model=Board)
async def get_board(request: Request, operator: CurrentOperator, session: DbSession) -> Board:
    """The contact centre now: conversations per line and channel (with the bot, waiting,
    with an operator, the longest wait), operators taking chats and at capacity, replies at
    risk of the SLA, bot containment today, back-office tasks per queue, open reviews of
    low ratings."""
    settings = settings_of(request)
    warning = timedelta(minutes=settings.board_sla_warning_minutes)
    return await board.snapshot(session, operator, warning=warning)
