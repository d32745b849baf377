"""Limits at the HTTP door, as pure ASGI middleware (nothing here buffers a body).

``BodyLimitMiddleware`` refuses a request body larger than ``MARKETDESK_MAX_BODY_BYTES``
(256 KiB by default): by its ``Content-Length`` before the application runs, and, for a body
without one (chunked), by counting the bytes as they stream in and cutting off at the limit.
A route declared with its own ``max_body_size`` (the attachments upload) gets that limit
instead. Every error response that the ASGI layer writes as plain text (the 413 of a route's
own limit, for one) is rewritten into the error shape ``{"error": {"code", "message"}}``.

``HeaderTimeoutProtocol`` is uvicorn's HTTP protocol with a deadline for request headers
(``MARKETDESK_HEADER_TIMEOUT_SECONDS``): uvicorn's own keep-alive timer is cancelled by any
byte received, so a client sending its headers a byte at a time would hold a connection for
ever (slowloris).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from marketdesk.connection_balance import ConnectionShares, process_shares
from marketdesk.services.errors import BadHttpRequest, RequestBodyTooLarge

from .errors import http_error_body
from .route_index import route_path

__all__ = ["BodyLimitMiddleware", "BodyTooLarge", "HeaderTimeoutProtocol", "too_large_message"]


def too_large_message(limit: int) -> str:
    size = f"{limit // 1024} КБ" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} МБ"
    return RequestBodyTooLarge(size=size).message


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the body passes the limit; answered 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))
        self.message_ru = too_large_message(limit)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _error_messages(
    status: int, code: str, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> tuple[Message, Message]:
    body = json.dumps(
        {"error": {"code": code, "message": message}}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in (b"content-type", b"content-length")
    ]
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            *kept,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body, "more_body": False}


def _is_plain_error(message: Message) -> bool:
    if message["status"] < 400:
        return False
    for name, value in message.get("headers", ()):
        if name.lower() == b"content-type":
            return bool(value.lower().startswith(b"text/plain"))
    return False


class BodyLimitMiddleware:
    """The body limit of every HTTP route, and the error shape for the ASGI layer's errors."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._all_routes = routes
        self._own_limits: list[tuple[re.Pattern[str], set[str], int]] | None = None

    def limit_for(self, scope: Scope) -> int:
        if self._own_limits is None:  # the routes are all there by the first request
            self._own_limits = [
                (regex, methods, limit)
                for route in iter_route_contexts(self._all_routes)
                if isinstance(limit := getattr(route, "max_body_size", None), int)
                and (regex := getattr(route, "path_regex", None)) is not None
                and (methods := getattr(route, "methods", None))
            ]
        path = route_path(scope)
        for regex, methods, limit in self._own_limits:
            if scope["method"] in methods and regex.match(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # refused before a byte of the body is read; the connection is not reused
            await _send_too_large(send, limit)
            return
        exchange = _LimitedExchange(receive, send, limit)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except BodyTooLarge:  # read outside a route (no handler on the way): answer here
            if exchange.started:
                raise
            await _send_too_large(send, limit)


async def _send_too_large(send: Send, limit: int) -> None:
    """The 413 in the error shape; the connection is closed (the body is not read)."""
    for message in _error_messages(
        413, RequestBodyTooLarge.code, too_large_message(limit), [(b"connection", b"close")]
    ):
        await send(message)


class _LimitedExchange:
    """One HTTP request under a body limit: ``receive`` counts the body and cuts it off at
    the limit, ``send`` rewrites a plain-text error response into the error shape."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.started = False  # the response has begun
        self._replacing: tuple[int, list[tuple[bytes, bytes]]] | None = None  # status, headers

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise BodyTooLarge(self.limit)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._start(message)
        elif message["type"] == "http.response.body" and self._replacing is not None:
            await self._replace_body(message, *self._replacing)
        else:
            await self._send(message)

    async def _start(self, message: Message) -> None:
        self.started = True
        headers = list(message.get("headers", ()))
        if self.exceeded:  # the rest of the body is never read: close the connection
            headers.append((b"connection", b"close"))
            message = {**message, "headers": headers}
        if _is_plain_error(message):  # held back: its body is replaced
            self._replacing = (message["status"], headers)
            return
        await self._send(message)

    async def _replace_body(
        self, message: Message, status: int, headers: list[tuple[bytes, bytes]]
    ) -> None:
        """The plain-text body is dropped; at its end, the error in the error shape."""
        if message.get("more_body", False):
            return
        code, text = http_error_body(status)
        if status == 413:
            text = too_large_message(self.limit)
        for shaped in _error_messages(status, code, text, headers):
            await self._send(shaped)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; a request's headers must be complete within
    ``header_timeout`` seconds of the connection opening (for the first request) or of the
    request's first byte (for later ones on a kept-alive connection). Past that the
    connection gets a 408 in the error shape (nothing, if no byte came) and is closed. An
    idle kept-alive connection is still closed by uvicorn's ``timeout_keep_alive``. A request
    the parser refuses gets its 400 in the error shape too."""

    def __init__(self, *args: Any, header_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._request_begun = False
        self._shares: ConnectionShares | None = None

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()
        self._shares = process_shares()  # several processes: the connections counted
        if self._shares is not None:
            self._shares.joined()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        self._uncount()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        self._uncount()  # a socket from now on, no longer this protocol's
        super().handle_websocket_upgrade()

    def _uncount(self) -> None:
        if self._shares is not None:
            self._shares.left()
            self._shares = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        self._request_begun = False
        before = self.cycle
        super().on_headers_complete()
        # more kept-alive connections here than this process's share of the node's: this
        # one closes after its response, and the client's next lands on any process
        if (
            self._shares is not None
            and self.cycle is not before
            and self.cycle is not None
            and self._shares.should_close()
        ):
            self.cycle.keep_alive = False

    def _write_error(self, status: int, reason: bytes, message: str | None = None) -> None:
        code, text = http_error_body(status)
        start, body = _error_messages(status, code, message or text)
        lines = [b"HTTP/1.1 %d %s" % (status, reason)]
        lines += [name + b": " + value for name, value in start["headers"]]
        lines += [b"connection: close", b"", body["body"]]
        self.transport.write(b"\r\n".join(lines))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """A request the parser refuses: 400 in the error shape, not uvicorn's plain text."""
        self._write_error(400, b"Bad Request", BadHttpRequest().message)

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._request_begun:
            self._write_error(408, b"Request Timeout")
        else:
            self.transport.close()
