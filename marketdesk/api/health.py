"""Liveness and readiness.

- ``/healthz``: the process answers and its database does (what it always was; the demo,
  the tests and the supervisor of the process use it).
- ``/readyz``: ready to serve every user: the database answers, its schema is at the head
  of this code's migrations (``migrations``: ``ok``, ``behind`` — a deployment that has not
  run ``marketdesk db upgrade`` yet —, or ``unknown`` while the database is down) and, when
  ``MARKETDESK_REDIS_URL`` is set, Redis answers too (without it, events between server
  processes are lost, so a load balancer should route around this process). 503
  ``not_ready`` lists what is down.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from marketdesk import __version__
from marketdesk.services.errors import NotReady, ServerNotReady
from marketdesk.store.db import database_answers
from marketdesk.store.revision import migrations_current

from .deps import DbSession
from .errors import DATABASE_RETRY_AFTER, refusal

router = APIRouter(tags=["health"])

_NOT_READY_RU = {
    ("database",): "база данных недоступна",
    ("redis",): "Redis недоступен",
    ("database", "redis"): "база данных и Redis недоступны",
    ("migrations",): "схема базы данных устарела, примените миграции",
    ("redis", "migrations"): "Redis недоступен, схема базы данных устарела (примените миграции)",
}


_NOT_READY_DOC: dict[int | str, dict[str, Any]] = {
    503: {"description": "not_ready: недоступна база данных (или Redis — для /readyz)"}
}


@router.get("/healthz", response_model=None, responses=_NOT_READY_DOC)
async def healthz(session: DbSession) -> dict[str, str] | object:
    if not await database_answers(session):
        return refusal(NotReady())
    return {"status": "ok", "version": __version__}


@router.get("/readyz", response_model=None, responses=_NOT_READY_DOC)
async def readyz(request: Request, session: DbSession) -> dict[str, Any] | object:
    checks = {"database": "ok" if await database_answers(session) else "down"}
    if request.app.state.settings.redis_url:
        broker = getattr(request.app.state, "broker", None)
        checks["redis"] = "ok" if broker is not None and await broker.ping() else "down"
    else:
        checks["redis"] = "not_configured"
    if checks["database"] == "ok":
        checks["migrations"] = "ok" if await migrations_current(session) else "behind"
    else:
        checks["migrations"] = "unknown"
    down = [name for name, state in checks.items() if state in ("down", "behind")]
    if down:
        return refusal(
            ServerNotReady(what=_NOT_READY_RU[tuple(down)], down=down, checks=checks),
            {"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    return {"status": "ready", "version": __version__, "checks": checks}
