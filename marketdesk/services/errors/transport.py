"""Refusals of the edges: what the HTTP layer itself answers (routing, body limit, timeouts,
validation), the database being out of reach, and the WebSocket's own errors and close codes.

They are in the catalogue with the use cases' errors, so one test and one page see every code
a client can meet. ``HTTP_ERRORS`` gives the class for a status the HTTP layer produced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from .base import (
    AuthenticationRequired,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceError,
    Unavailable,
)

__all__ = [
    "CLOSE_BAD_DATA",
    "CLOSE_INTERNAL",
    "CLOSE_NORMAL",
    "CLOSE_POLICY",
    "CLOSE_SLOW",
    "CLOSE_TOO_BIG",
    "HTTP_ERRORS",
    "SOCKET_CLOSE_CODES",
    "AuthFrameRequired",
    "BadFrame",
    "BadHttpRequest",
    "DatabaseUnavailable",
    "DatabaseUnavailableSocket",
    "HttpError",
    "InternalError",
    "InvalidCharacters",
    "MessageNotStored",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotReady",
    "PayloadTooLarge",
    "RequestBodyTooLarge",
    "RequestTimeout",
    "ServerNotReady",
    "SocketClose",
    "UnsupportedMediaType",
    "ValidationFailed",
]


class BadHttpRequest(ServiceError):
    """A request the HTTP parser itself refuses."""

    template = "Некорректный HTTP-запрос."


class MethodNotAllowed(ServiceError):
    status = 405
    code = "method_not_allowed"
    template = "Этот метод не поддерживается для данного адреса."


class NotAcceptable(ServiceError):
    status = 406
    code = "not_acceptable"
    template = "Недопустимый формат ответа."


class RequestTimeout(ServiceError):
    status = 408
    code = "request_timeout"
    template = "Запрос не пришёл целиком вовремя."


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"
    template = "Слишком большой запрос."


class RequestBodyTooLarge(PayloadTooLarge):
    """``size``: the limit, «64 КБ» or «10 МБ»."""

    template = "Слишком большой запрос: тело запроса больше {size}."


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"
    template = "Неподдерживаемый формат данных."


class HttpError(ServiceError):
    """A status of the HTTP layer that has no class of its own (none is known to reach a
    client: kept so that such a status still answers in the error shape)."""

    code = "http_error"
    template = "Ошибка запроса."


class InternalError(ServiceError):
    """An unexpected failure: logged, and answered without a stack trace."""

    status = 500
    code = "internal_error"
    template = "Внутренняя ошибка сервера. Мы уже разбираемся."


class MessageNotStored(InternalError):
    """A socket's message that failed to store (the sender may send it again)."""

    template = "Сообщение не сохранено из-за сбоя на сервере. Отправьте его ещё раз."


class ValidationFailed(InvalidInput):
    """The request does not fit the route's model: ``description`` names the fields and what
    is wrong with each; ``fields=[...]`` lists them in the body."""

    code = "validation_error"
    template = "{description}"
    example = "Поле «text»: обязательное поле."


class InvalidCharacters(InvalidInput):
    """A NUL anywhere in the request (the input guard), or text PostgreSQL cannot store."""

    code = "invalid_characters"
    template = (
        "Запрос содержит недопустимый нулевой символ (U+0000, «%00» или «\\u0000»). "
        "Уберите его и повторите запрос; тело в формате JSON принимается только в кодировке "
        "UTF-8."
    )


class DatabaseUnavailable(Unavailable):
    code = "database_unavailable"
    template = "База данных временно недоступна. Повторите запрос через несколько секунд."


class DatabaseUnavailableSocket(DatabaseUnavailable):
    template = "База данных временно недоступна. Переподключитесь через несколько секунд."


class NotReady(Unavailable):
    """``/healthz`` and ``/readyz``: the server cannot serve yet."""

    code = "not_ready"
    template = "База данных недоступна."


class ServerNotReady(NotReady):
    """``/readyz``: ``what`` names the parts that are down."""

    template = "Сервер не готов: {what}."


HTTP_ERRORS: Final[Mapping[int, type[ServiceError]]] = MappingProxyType(
    {
        400: ServiceError,
        401: AuthenticationRequired,
        403: PermissionDenied,
        404: NotFound,
        405: MethodNotAllowed,
        406: NotAcceptable,
        408: RequestTimeout,
        413: PayloadTooLarge,
        415: UnsupportedMediaType,
        429: RateLimited,
        500: InternalError,
        503: Unavailable,
    }
)


# --- the WebSocket -------------------------------------------------------------------------
# A socket answers a refusal with a frame {"type": "error", "code", "message"}; the codes are
# the catalogue's (a refused message carries its HTTP twin's code). Two exist only there:


class BadFrame(ServiceError):
    """A frame the socket cannot read (``problem``: what is wrong with it)."""

    code = "bad_frame"
    template = "{problem}"
    example = "Ожидается JSON-объект с полем type."


class AuthFrameRequired(AuthenticationRequired):
    code = "auth_required"
    template = 'Первым сообщением пришлите {{"type": "auth", "token"}}.'


@dataclass(frozen=True, slots=True)
class SocketClose:
    """A WebSocket close code the server sends, and when."""

    code: int
    name: str
    meaning: str


CLOSE_NORMAL = 1000
CLOSE_BAD_DATA = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_SLOW = 1013

SOCKET_CLOSE_CODES: Final = (
    SocketClose(CLOSE_NORMAL, "normal", "the conversation socket's work is done"),
    SocketClose(CLOSE_BAD_DATA, "bad data", "a binary frame"),
    SocketClose(
        CLOSE_POLICY,
        "policy",
        "no or a failed auth frame, too many malformed frames, the session ended, "
        "a conversation the caller may not read, an operators-only socket",
    ),
    SocketClose(CLOSE_TOO_BIG, "too big", "a frame over the size limit"),
    SocketClose(CLOSE_INTERNAL, "internal error", "an unexpected failure (logged)"),
    SocketClose(
        CLOSE_SLOW,
        "try again later",
        "the socket fell behind its send queue, or the database is out of reach: "
        "reconnect with last_seq",
    ),
)
