"""What the server logs keeps no personal data and no secrets, at any log level:

- the access log keeps no query strings of the API: some routes take what people typed
  (search words), and a log is kept longer and read by more people than the database.
  ``GET /api/v1/products?q=…`` is logged as ``GET /api/v1/products?…``;
- at debug level, uvicorn's WebSocket protocol logs every frame (a customer's messages, the
  token of the auth frame) and the handshake's headers: frames and credential headers are
  left out, the rest of the debug output stays."""

from __future__ import annotations

import logging
import re

__all__ = ["QueryStringFilter", "WebSocketFrameFilter", "install_access_log_filter"]

REDACTED_PREFIXES = ("/api/", "/ws/")


class QueryStringFilter(logging.Filter):
    """Strips the query string from uvicorn's access-log records of the listed paths."""

    def __init__(self, prefixes: tuple[str, ...] = REDACTED_PREFIXES) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn: '%s - "%s %s HTTP/%s" %d' % (client, method, path with query, version, status)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _ = args[2].partition("?")
            if mark and path.startswith(self.prefixes):
                record.args = (*args[:2], path + "?…", *args[3:])
        return True


_FRAME_OR_CREDENTIAL = re.compile(
    r"[<>] (?:(?:TEXT|BINARY|CONT) |(?:authorization|cookie|set-cookie|sec-websocket-protocol):)",
    re.IGNORECASE,
)


class WebSocketFrameFilter(logging.Filter):
    """Drops the debug records of WebSocket frames and of credential headers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: not ours to judge
            return True
        return not _FRAME_OR_CREDENTIAL.match(message)


def install_access_log_filter() -> None:
    """Once per process (the app factory runs in every worker)."""
    for name, kind in (
        ("uvicorn.access", QueryStringFilter),
        ("uvicorn.error", WebSocketFrameFilter),  # uvicorn's WebSocket protocol logs here
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())
