"""No NUL character reaches a route: one check in the request pipeline, for every route.

PostgreSQL cannot store or even compare text holding U+0000 (``invalid byte sequence for
encoding "UTF8": 0x00``): a NUL passed on to a query was a 500 from any route, the
unauthenticated login among them. SQLite takes it, so the two backends also disagreed.
Nothing a person types holds a NUL, so a request carrying one is refused before any route
runs, with 422 ``invalid_characters`` in the one error shape:

- in the path or the query string (``%00``), at once;
- in a JSON body, while the body streams in (nothing is held in memory for it, and a body
  limit elsewhere keeps working): the escape ``\\u0000``, and any raw zero byte. A raw NUL
  is not valid UTF-8 JSON anyway, and JSON in UTF-16 or UTF-32 (which the parser would
  otherwise accept, and where the escape is spelt with zero bytes in between) always has
  zero bytes: JSON bodies are taken in UTF-8 only, as RFC 8259 requires.

Multipart bodies (uploads) carry binary files and are not scanned: their text fields are
checked by the services (``validate_text``), and so are WebSocket frames.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketdesk.services.errors import InvalidCharacters

from .errors import refusal
from .json_response import JSONResponse

__all__ = ["CODE", "MESSAGE", "NulScanner", "install_input_guard"]

CODE = InvalidCharacters.code
MESSAGE = InvalidCharacters.template

# an escape in JSON text is a backslash and one character; reading them left to right,
# "\\\\u0000" is an escaped backslash and then plain text, "\\u0000" is a NUL. The 6-byte
# form is tried first; ``\Z`` keeps a backslash at the very end of a chunk for the next one
_ESCAPE = re.compile(rb"\\(?:u0000|.|\Z)", re.DOTALL)
_NUL_ESCAPE = b"\\u0000"


class NulScanner:
    """Finds the JSON escape ``\\u0000`` (or a zero byte) in a body given in chunks of any
    size."""

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, chunk: bytes, *, final: bool) -> bool:
        """True when the text so far holds a NUL escape (``final``: no more chunks)."""
        if b"\x00" in chunk:  # a raw NUL: invalid in UTF-8 JSON, or UTF-16/32 (see above)
            return True
        data = self._carry + chunk if self._carry else chunk
        self._carry = b""
        if b"\\" not in data:
            return False
        limit = len(data) - len(_NUL_ESCAPE)  # an escape starting after this may be cut
        for match in _ESCAPE.finditer(data):
            if match.start() > limit and not final:
                self._carry = data[match.start() :]
                return False
            if match.group() == _NUL_ESCAPE:
                return True
        return False


def _json_body(scope: Scope) -> bool:
    """Whether the body may be parsed as JSON: a JSON type, or no type at all."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media.startswith(b"application/") and media.endswith((b"/json", b"+json"))
    return True


def _in_target(scope: Scope) -> bool:
    """A NUL in the path or the query string (decoded)."""
    path: str = scope.get("path", "")
    query: bytes = scope.get("query_string", b"")
    return "\x00" in path or b"\x00" in unquote_to_bytes(query)


class _NulInBody(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=422, detail=MESSAGE)


def _refusal() -> JSONResponse:
    return refusal(InvalidCharacters())


class InputGuard:
    """ASGI middleware: HTTP requests with a NUL are answered 422 ``invalid_characters``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _in_target(scope):
            await _refusal()(scope, receive, send)
            return
        if not _json_body(scope):
            await self.app(scope, receive, send)
            return
        scanner = NulScanner()
        started = False

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and scanner.feed(
                message.get("body", b""), final=not message.get("more_body", False)
            ):
                raise _NulInBody()  # reaches the route's body reading: answered below
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, watched_send)
        except _NulInBody:  # read outside a route (another middleware): answered here
            if started:
                raise
            await _refusal()(scope, receive, send)


def install_input_guard(app: FastAPI) -> None:
    """The middleware, and the answer when a route's body reading meets a NUL."""

    async def _nul_in_body(_: Request, __: Any) -> JSONResponse:
        return _refusal()

    app.add_exception_handler(_NulInBody, _nul_in_body)
    app.add_middleware(InputGuard)
