"""``assert_error``: a refusal in the API's error shape, with its status and code."""

from __future__ import annotations

import re
from typing import Any, Protocol

__all__ = ["CYRILLIC", "assert_error"]

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


class _Response(Protocol):
    status_code: int

    def json(self) -> Any: ...


def assert_error(response: _Response, status: int, code: str) -> dict[str, Any]:
    """Check a refusal: the status, ``{"error": {"code", "message"}}`` with a non-empty
    Russian message, and the code. Returns the error object for further checks."""
    assert response.status_code == status, (response.status_code, _text(response))
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert error.get("code") == code, error
    message = error.get("message")
    assert isinstance(message, str) and message.strip(), error
    assert CYRILLIC.search(message), f"the message is not Russian: {message!r}"
    return error


def _text(response: _Response) -> str:
    return str(getattr(response, "text", ""))[:300]
