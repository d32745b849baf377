"""The kinds of refusal and the registry of error codes.

Every refusal a client can see is one class: a stable ``code``, the HTTP ``status`` of its
kind, and a Russian ``template`` (``str.format``) for the message, e.g.::

    class ConversationNotFound(NotFound):
        code = "conversation_not_found"
        template = "Диалог {conversation_id} не найден."

    raise ConversationNotFound(conversation_id=5)

Keyword arguments named in the template fill it; the others are details that the API puts
into the error body next to the code and the message (``fields=[...]``, ``retry_after``,
``violations=...``). A class that sets ``code`` registers it; a code registered twice fails
at import. A subclass that keeps its parent's code is a *variant*: another wording of the
same refusal, with the same status (e.g. the several reasons a session token is refused).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AuthenticationRequired",
    "CatalogueEntry",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "ServiceError",
    "Unavailable",
    "catalogue",
    "error_class",
    "template_fields",
]

_REGISTRY: dict[str, type[ServiceError]] = {}
_CLASSES: list[type[ServiceError]] = []


def template_fields(template: str) -> list[str]:
    """The names a ``str.format`` template uses, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _register(cls: type[ServiceError]) -> None:
    if cls.__dict__.get("abstract", False):
        return
    owner = _REGISTRY.get(cls.code)
    if "code" in cls.__dict__:
        if owner is not None:
            raise TypeError(
                f"error code {cls.code!r} is registered twice: by {owner.__qualname__} "
                f"and by {cls.__qualname__}"
            )
        _REGISTRY[cls.code] = cls
    elif owner is None:
        raise TypeError(f"{cls.__qualname__} inherits the unregistered code {cls.code!r}")
    elif owner.status != cls.status:
        raise TypeError(
            f"{cls.__qualname__} answers {cls.status}, but its code {cls.code!r} is "
            f"{owner.status} ({owner.__qualname__})"
        )
    _CLASSES.append(cls)


class ServiceError(Exception):
    """A refusal with a stable machine code, its HTTP status and a fixed Russian message.

    Raise a catalogue class with the values its template names
    (``ConversationNotFound(conversation_id=5)``); other keywords (``fields``,
    ``violations``, ``retry_after``) go into the error's body."""

    status = 400
    code = "bad_request"
    template = "Некорректный запрос."
    example: str | None = None
    """A real message, for the docs, where the template is only a placeholder (a rule's text)."""
    abstract = False
    """A family of refusals that is never raised itself; it registers no code."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)

    def __init__(self, **params: Any) -> None:
        if "code" in params or "message" in params:
            raise TypeError(
                f"{type(self).__name__}: the code and the message are the catalogue's; "
                "add a class for a new refusal"
            )
        fields = template_fields(self.template)
        missing = [name for name in fields if name not in params]
        if missing:
            raise TypeError(f"{type(self).__name__} needs {', '.join(missing)}")
        message = self.template.format(**{name: params.pop(name) for name in fields})
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = params


class InvalidInput(ServiceError):
    status = 422
    code = "invalid_input"
    template = "Некорректные данные."


class NotFound(ServiceError):
    status = 404
    code = "not_found"
    template = "Такого адреса нет."


class AuthenticationRequired(ServiceError):
    status = 401
    code = "unauthorized"
    template = "Нужна авторизация."


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"
    template = "Недостаточно прав."


class Conflict(ServiceError):
    status = 409
    code = "conflict"
    template = "Действие невозможно в текущем состоянии."


class Unavailable(ServiceError):
    status = 503
    code = "service_unavailable"
    template = "Сервис временно недоступен. Попробуйте позже."


class RateLimited(ServiceError):
    """A limit was hit; ``retry_after`` (seconds) becomes the ``Retry-After`` header and a
    ``retry_after`` field of the error."""

    status = 429
    code = "rate_limited"
    template = "Слишком много запросов. Попробуйте позже."

    def __init__(self, *, retry_after: int | None = None, **params: Any) -> None:
        if retry_after is not None:
            retry_after = max(1, int(retry_after))
            params["retry_after"] = retry_after
        super().__init__(**params)
        self.retry_after = retry_after


_register(ServiceError)


def error_class(code: str) -> type[ServiceError]:
    """The class that owns ``code`` (``KeyError`` for a code that is not in the catalogue)."""
    return _REGISTRY[code]


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One class of the catalogue, as the docs list it."""

    code: str
    status: int
    name: str
    message: str
    """The template, or the class's example where the template is only a placeholder."""
    variant: bool
    """Another wording of a code that an earlier class owns."""
    example: bool


def catalogue() -> Iterator[CatalogueEntry]:
    """Every class of the catalogue, in the order of definition (import the package first)."""
    for cls in _CLASSES:
        shown = cls.template if cls.example is None else cls.example
        variant = _REGISTRY[cls.code] is not cls
        yield CatalogueEntry(
            cls.code, cls.status, cls.__qualname__, shown, variant, cls.example is not None
        )
