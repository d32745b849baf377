"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from marketdesk import __version__
from marketdesk.bot import Bot
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.workers.kb_watch import watch_kb
from marketdesk.workers.sla import run_sla_timer

from . import auth, bot, customers, health, kb, me, news, products, rules, tasks
from .errors import install_error_handlers

__all__ = ["create_app"]

_LANDING = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>marketdesk</title></head>
<body><h1>marketdesk</h1>
<p>Платформа поддержки покупателей маркетплейса. Сервер работает.</p>
<p><a href="/docs">Документация API</a></p></body></html>"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application. A database given here is shared and not disposed on shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.database = database or Database(settings.async_database_url)
        app.state.bot = Bot.from_directory(settings.kb_dir)
        workers = [
            asyncio.create_task(
                run_sla_timer(app.state.database, interval=settings.sla_interval_seconds)
            ),
            asyncio.create_task(
                watch_kb(
                    app.state.bot,
                    settings.ensure_data_dir(),
                    interval=settings.kb_watch_interval_seconds,
                )
            ),
        ]
        try:
            yield
        finally:
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            if owned:
                await app.state.database.dispose()

    app = FastAPI(
        title="marketdesk",
        version=__version__,
        description="API платформы поддержки покупателей маркетплейса",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, auth, bot, kb, customers, products, news, me, tasks, rules):
        app.include_router(module.router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing() -> str:
        return _LANDING

    return app
