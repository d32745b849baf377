"""The request id: one per HTTP request or WebSocket connection, kept in a context variable
so that every log line written while serving it (routes, services, the socket's tasks)
carries it. A client or a proxy may send its own in ``X-Request-ID``; a value that is not
sane (too long, or other characters than letters, digits and ``._:-``) is replaced."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

__all__ = ["HEADER", "REQUEST_ID", "current_request_id", "new_request_id", "sane_request_id"]

HEADER = "X-Request-ID"
REQUEST_ID: ContextVar[str | None] = ContextVar("marketdesk_request_id", default=None)

_SANE = re.compile(r"[A-Za-z0-9._:\-]{8,64}")


def new_request_id() -> str:
    """A fresh id (a UUID with its dashes: never mistaken for a secret by the log masks)."""
    return str(uuid.uuid4())


def sane_request_id(value: str | None) -> str | None:
    """``value`` if it may be used as a request id as it is, else None."""
    if value is None or not _SANE.fullmatch(value):
        return None
    return value


def current_request_id() -> str | None:
    return REQUEST_ID.get()
