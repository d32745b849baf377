"""Reloading the knowledge base (supervisors and admins)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel

from marketdesk.bot import Bot
from marketdesk.domain.roles import Role
from marketdesk.kb.reload import request_reload

from .deps import CurrentOperator

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])


class ReloadResult(BaseModel):
    articles: int
    errors: list[str]


@router.post("/reload", response_model=ReloadResult)
async def reload(request: Request, operator: CurrentOperator) -> ReloadResult:
    """Re-read the articles here at once, and ask the other server processes to follow."""
    operator.require_operator(Role.SUPERVISOR)
    bot: Bot = request.app.state.bot
    errors = await asyncio.to_thread(bot.reload)
    request_reload(request.app.state.settings.ensure_data_dir())
    return ReloadResult(articles=len(bot.articles), errors=[str(e) for e in errors])
