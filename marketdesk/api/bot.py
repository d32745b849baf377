"""The support bot over HTTP: the same answer object as ``marketdesk ask --jsonl``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.bot import Bot

from .json_response import JSONResponse

router = APIRouter(prefix="/api/v1/bot", tags=["bot"])

MAX_QUESTION_LENGTH = 10_000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_QUESTION_LENGTH, description="сообщение покупателя")


class SuggestionOut(BaseModel):
    slug: str
    title: str


class AskResponse(BaseModel):
    action: Literal["answer", "handoff", "refuse"]
    topic: str | None
    confidence: float = Field(ge=0, le=1)
    answer: str
    suggestions: list[SuggestionOut] | None = None


def get_bot(request: Request) -> Bot:
    bot: Bot = request.app.state.bot
    return bot


@router.post("/ask", response_model=AskResponse, responses={200: {"model": AskResponse}})
async def ask(body: AskRequest, request: Request) -> JSONResponse:
    """Anyone may ask: the widget calls it before a visitor has a token. ``topic`` is always
    present (null without a topic); ``suggestions`` only when the bot offers some."""
    reply: dict[str, Any] = get_bot(request).ask(body.text).to_json()
    return JSONResponse(reply)
