"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from marketdesk import __version__
from marketdesk.bot import Bot
from marketdesk.channels.session_watch import SessionWatch
from marketdesk.channels.sms import DEMO_LOG_NAME, FileSmsGateway
from marketdesk.realtime import create_broker
from marketdesk.services.chat_writer import ChatWriter
from marketdesk.services.rate_limits import RateLimiter
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.workers.cleanup import run_cleanup
from marketdesk.workers.kb_watch import watch_kb
from marketdesk.workers.sla import run_sla_timer
from marketdesk.workers.sms_outbox import run_sms_outbox

from . import (
    audit,
    auth,
    bot,
    certificates,
    comments,
    console,
    conversations,
    customer_login,
    customers,
    guard,
    health,
    hints,
    kb,
    me,
    news,
    operators,
    products,
    rules,
    tasks,
    throttle,
    websockets,
)
from .access_log import install_access_log_filter
from .errors import install_error_handlers
from .input_guard import install_input_guard
from .limits import BodyLimitMiddleware
from .openapi import install_docs, install_openapi
from .widget import install_widget

__all__ = ["GC_THRESHOLDS", "create_app"]

GC_THRESHOLDS = (50_000, 50, 100)
"""The collector's thresholds in a running server. With the default (700, 10, 10) a server
holding a thousand open chats ran a full collection every few seconds, each a pause of
60–240 ms (every socket keeps tasks and coroutines alive, all of them traversed); measured
with bench/chat.py. Here the young generation is collected every 50 000 allocations (most
objects die by reference counting long before) and a full pass comes after 100 collections
of the middle one: minutes apart under load, never when idle."""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application. A database given here is shared and not disposed on shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.database = database or Database(settings.async_database_url)
        app.state.bot = Bot.from_directory(settings.kb_dir)
        # the dictionaries and the index live as long as the process: keep them out of the
        # collector's full passes, which would otherwise pause requests for milliseconds
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        app.state.broker = create_broker(settings.redis_url, settings.async_database_url)
        await app.state.broker.start()
        app.state.chat_writer = ChatWriter(app.state.database)
        app.state.rate_limiter = RateLimiter.from_settings(settings)
        app.state.session_watch = SessionWatch(
            app.state.database, interval=settings.socket_reauth_seconds, broker=app.state.broker
        )
        await app.state.session_watch.start()
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
            asyncio.create_task(
                run_sms_outbox(
                    app.state.database, app.state.sms_gateway, interval=settings.sms_retry_seconds
                )
            ),
            asyncio.create_task(run_cleanup(app.state.database, settings)),
        ]
        try:
            yield
        finally:
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await app.state.session_watch.aclose()
            await app.state.chat_writer.aclose()
            await app.state.broker.stop()
            await app.state.rate_limiter.aclose()
            if owned:
                await app.state.database.dispose()

    app = FastAPI(
        title="marketdesk",
        version=__version__,
        description="API платформы поддержки покупателей маркетплейса",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from the installed package
        redoc_url=None,
    )
    app.state.settings = settings
    # the demo's SMS gateway: a 0600 file in the data dir (tests may put another here)
    app.state.sms_gateway = FileSmsGateway(settings.data_dir / DEMO_LOG_NAME)
    install_access_log_filter()  # no query strings of the API in the access log
    install_error_handlers(app)
    install_input_guard(app)
    for module in (health, auth, bot, kb, customers, products, news, me, tasks, rules):
        app.include_router(module.router)
    for module in (conversations, customer_login, websockets, operators):  # live chat
        app.include_router(module.router)
    for module in (console, hints, comments, guard, audit, certificates, throttle):  # console
        app.include_router(module.router)
    install_widget(app)
    install_docs(app, enabled=settings.api_docs)
    install_openapi(app)
    app.add_middleware(
        BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes, routes=app.router.routes
    )

    return app
