"""Errors that use cases raise; the API turns each into a 4xx with its code and message."""

from __future__ import annotations

__all__ = [
    "AuthenticationRequired",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "ServiceError",
]


class ServiceError(Exception):
    """A refusal with a stable machine code and a Russian message for people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(ServiceError):
    status = 422
    code = "invalid_input"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class AuthenticationRequired(ServiceError):
    status = 401
    code = "unauthorized"


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class RateLimited(ServiceError):
    """429; ``retry_after`` (seconds) goes to the ``Retry-After`` header and the body."""

    status = 429
    code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after: int | None = None,
        **details: object,
    ) -> None:
        if retry_after is not None:
            retry_after = max(1, int(retry_after))
            details["retry_after"] = retry_after
        super().__init__(message, code=code, **details)
        self.retry_after = retry_after
