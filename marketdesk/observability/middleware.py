"""In front of every route (pure ASGI, for HTTP and WebSockets alike): the request id
(``X-Request-ID``: the client's if sane, else a new one; set in the context for the work's
log lines and echoed in the response or the socket's handshake), the request metrics by
route template (never the raw path: no ids in labels), the open-socket gauge, and one log
line per request (``marketdesk.access``: method, route template, status, duration, request
id; no path, no query string)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import Metrics
from .requests import HEADER, REQUEST_ID, new_request_id, sane_request_id

__all__ = ["ObservabilityMiddleware", "route_template"]

access_log = logging.getLogger("marketdesk.access")

_HEADER_BYTES = HEADER.lower().encode()
UNMATCHED = "unmatched"
"""The route label of a request no route matched (a 404): one series, whatever the path."""
OTHER = "other"
"""The route label of a request served by a mounted application (static files)."""


def route_template(scope: MutableMapping[str, Any], status: int) -> str:
    """The path template of the route that served the request (``/api/v1/tasks/{number}``),
    set in the scope by the router."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    return UNMATCHED if status == 404 else OTHER


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_BYTES:
            return sane_request_id(value.decode("latin-1")) or new_request_id()
    return new_request_id()


def _socket_kind(path: str) -> str | None:
    if path == "/ws/operator":
        return "operator"
    if path.startswith("/ws/conversations/"):
        return "conversation"
    return None


class ObservabilityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        on_request_id: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.on_request_id = on_request_id  # tracing: the id on the request's span

    def _start(self, scope: Scope) -> str:
        request_id = _incoming_id(scope)
        # set for the rest of this request's task (not reset: the error handler outside this
        # middleware logs an unexpected failure with it); each request has a task of its own,
        # and a socket's tasks are created under it and keep it
        REQUEST_ID.set(request_id)
        if self.on_request_id is not None:
            self.on_request_id(request_id)
        return request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = self._start(scope)
        status = 500  # unless a response starts: an exception went past the handlers
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", ()))
                headers.append((_HEADER_BYTES, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, status)
            self.metrics.observe_request(scope["method"], route, status, seconds)
            access_log.info(
                "%s %s %d",
                scope["method"],
                route,
                status,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = self._start(scope)
        kind = _socket_kind(scope.get("path", ""))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "websocket.accept":
                headers = list(message.get("headers") or ())
                headers.append((_HEADER_BYTES, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        if kind is None:
            await self.app(scope, receive, send_with_id)
            return
        gauge = self.metrics.sockets.labels(kind)
        gauge.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            gauge.dec()
