"""Readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from marketdesk import __version__

from .deps import DbSession
from .errors import error_response

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=None)
async def healthz(session: DbSession) -> dict[str, str] | object:
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # the database is not reachable: not ready
        return error_response(503, "not_ready", "База данных недоступна.")
    return {"status": "ok", "version": __version__}
