"""One error shape for every client: ``{"error": {"code", "message"}}`` with a 4xx status.
No stack trace ever reaches a client; unexpected failures are logged and answered 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketdesk.services.errors import (
    HTTP_ERRORS,
    DatabaseUnavailable,
    HttpError,
    InternalError,
    InvalidCharacters,
    ServiceError,
    ValidationFailed,
)
from marketdesk.store.availability import (
    UNAVAILABLE_TYPES,
    database_unavailable,
    unstorable_text,
)

from .json_response import JSONResponse

__all__ = [
    "DATABASE_RETRY_AFTER",
    "error_response",
    "http_error_body",
    "install_error_handlers",
    "refusal",
]

log = logging.getLogger("marketdesk.api")


_VALIDATION_MESSAGES = {
    "missing": "обязательное поле",
    "json_invalid": "некорректный JSON",
    "string_type": "ожидается строка",
    "int_type": "ожидается целое число",
    "int_parsing": "ожидается целое число",
    "bool_parsing": "ожидается true или false",
    "date_from_datetime_parsing": "ожидается дата в формате ГГГГ-ММ-ДД",
    "date_parsing": "ожидается дата в формате ГГГГ-ММ-ДД",
    "string_too_long": "слишком длинная строка",
    "string_too_short": "слишком короткая строка",
    "greater_than_equal": "слишком маленькое значение",
    "less_than_equal": "слишком большое значение",
    "literal_error": "недопустимое значение",
    "enum": "недопустимое значение",
    "model_attributes_type": "ожидается JSON-объект",
    "dict_type": "ожидается JSON-объект",
    "extra_forbidden": "неизвестное поле",
    "value_error": "недопустимое значение",
}


def refusal(
    error: ServiceError, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """The error shape for a catalogue error (its status, code, message and details)."""
    details: dict[str, Any] = {**error.details, **extra}
    return error_response(error.status, error.code, error.message, headers, **details)


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    retry_after: int | None = None,
    **extra: Any,
) -> JSONResponse:
    """The error shape; ``retry_after`` (seconds) sets the ``Retry-After`` header and a
    ``retry_after`` field."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra)
    if retry_after is not None:
        body["retry_after"] = retry_after = max(1, int(retry_after))
        headers = {**(headers or {}), "Retry-After": str(retry_after)}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def http_error_body(status: int) -> tuple[str, str]:
    """The code and Russian message for a status the HTTP layer itself produced."""
    error = HTTP_ERRORS.get(status, HttpError)()
    return error.code, error.message


def _describe(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
    where = ".".join(location[1:] if location and location[0] in ("query", "path") else location)
    what = _VALIDATION_MESSAGES.get(error.get("type", ""), "недопустимое значение")
    if error.get("type") == "json_invalid":
        return "Тело запроса — некорректный JSON."
    ctx = error.get("ctx") or {}
    if "max_length" in ctx:
        what += f" (не больше {ctx['max_length']} символов)"
    if "expected" in ctx:
        what += f" (допустимо: {ctx['expected']})"
    return f"Поле «{where}»: {what}." if where else f"Запрос: {what}."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        details: dict[str, Any] = dict(exc.details)
        details.setdefault("retry_after", getattr(exc, "retry_after", None))
        return error_response(exc.status, exc.code, exc.message, headers, **details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        message = " ".join(_describe(e) for e in errors[:5]) or "Некорректный запрос."
        fields = [".".join(str(p) for p in e.get("loc", ()) if p != "body") for e in errors[:20]]
        return refusal(ValidationFailed(description=message, fields=fields))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = http_error_body(exc.status_code)
        if isinstance(exc.detail, str) and exc.status_code not in HTTP_ERRORS:
            message = exc.detail
        message = getattr(exc, "message_ru", message)
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    _install_database_errors(app)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return refusal(InternalError())


DATABASE_RETRY_AFTER = 5
"""Seconds a client is asked to wait while the database is out of reach (``Retry-After``)."""


def _install_database_errors(app: FastAPI) -> None:
    """A database outage (see ``marketdesk.store.availability``) is 503
    ``database_unavailable`` with ``Retry-After``, not a 500. Text PostgreSQL cannot take
    (a NUL that came another way than the input guard checks, e.g. a multipart field) is
    422 ``invalid_characters``. Any other database or OS error goes on to the 500 handler."""

    async def _database_error(request: Request, exc: Exception) -> JSONResponse:
        if unstorable_text(exc):
            return refusal(InvalidCharacters())
        if not database_unavailable(exc):
            raise exc
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return refusal(DatabaseUnavailable(), {"Retry-After": str(DATABASE_RETRY_AFTER)})

    for kind in UNAVAILABLE_TYPES:
        app.add_exception_handler(kind, _database_error)
