"""The HTTP application: the routers and the edges in front of them (errors, body limit,
input guard, headers, OpenAPI). The server's parts and its background workers are wired in
``marketdesk.server``, which calls :func:`create_api`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig

from marketdesk import __version__
from marketdesk.observability.metrics import Metrics
from marketdesk.observability.middleware import ObservabilityMiddleware
from marketdesk.observability.tracing import install_tracing
from marketdesk.services.auth import PrincipalCache
from marketdesk.settings import Settings

from . import (
    audit,
    auth,
    board,
    bot,
    certificates,
    channels,
    comments,
    console,
    content,
    conversations,
    customer_login,
    customers,
    guard,
    health,
    hints,
    identity,
    kb,
    me,
    messages,
    metrics,
    news,
    notifications,
    operators,
    order_status,
    orders,
    products,
    rating_reviews,
    reports,
    rules,
    security,
    structure,
    sync,
    tasks,
    throttle,
    totp,
    webhooks,
)
from .access_log import install_access_log_filter
from .errors import install_error_handlers
from .input_guard import install_input_guard
from .limits import BodyLimitMiddleware
from .openapi import install_docs, install_openapi
from .route_index import index_routers
from .widget import install_widget

__all__ = ["create_api"]

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_api(
    settings: Settings, *, lifespan: Lifespan, channel_routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """The FastAPI application with every route: the API's routers and the channels' own
    (``channel_routers``: the chat's WebSockets); ``lifespan`` starts the server's parts."""
    app = FastAPI(
        title="marketdesk",
        version=__version__,
        description="API платформы поддержки покупателей маркетплейса",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from the installed package
        redoc_url=None,
        # FastAPI's own OpenTelemetry off: tracing is OpenTelemetry's FastAPI instrumentation
        # when asked for (install_tracing below), with the request id and the probes left
        # out; and no request asks whether a provider is configured (~10-25 µs a request)
        telemetry=_NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()  # a registry per application (marketdesk.observability)
    app.state.principal_cache = PrincipalCache(
        settings.principal_cache_seconds,
        visitor_seconds=settings.visitor_principal_cache_seconds,
    )
    install_access_log_filter()  # no query strings of the API in the access log
    install_error_handlers(app)
    install_input_guard(app)
    # The busiest routes first: a request is matched against the routes in order (about
    # 0.2 ms for the sixty before the chat's). Every route stays reachable whatever the
    # order (tests/api/test_routes.py).
    for module in (conversations, tasks, customers, products, comments, rules, auth, health):
        app.include_router(module.router)
    for module in (metrics, bot, kb, orders, news, me):
        app.include_router(module.router)
    app.include_router(notifications.router)
    app.include_router(order_status.router)  # the order system's feed (notifies customers)
    for module in (customer_login, messages):  # live chat's logins, the messages hub
        app.include_router(module.router)
    for router in channel_routers:  # the sockets
        app.include_router(router)
    app.include_router(operators.router)
    for module in (console, hints, guard, audit, certificates, throttle, reports):
        app.include_router(module.router)
    for module in (board, rating_reviews):  # supervision (issue 15)
        app.include_router(module.router)
    app.include_router(channels.router)  # the outside channels (issue 12)
    app.include_router(webhooks.router)  # events out (issue 16)
    app.include_router(sync.router)  # the marketplace's data in (issue 16)
    app.include_router(content.router)  # the console's «Управление» (issue 16)
    for module in (structure, totp):  # people and structure (issue 16)
        app.include_router(module.router)
    for module in (security, identity):  # devices, the security chat, codewords (issue 14)
        app.include_router(module.router)
    install_widget(app)
    install_docs(app, enabled=settings.api_docs)
    install_openapi(app)
    # every route is there: each router is passed over at once for paths it cannot match
    index_routers(app)
    app.add_middleware(
        BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes, routes=app.router.routes
    )
    # optional (marketdesk[otel]): a span around everything, the request id on it
    on_request_id = install_tracing(app, enabled=settings.otel_tracing)
    # outermost of ours: every answer (a 413 too) is counted and carries the request id
    app.add_middleware(
        ObservabilityMiddleware, metrics=app.state.metrics, on_request_id=on_request_id
    )
    return app
