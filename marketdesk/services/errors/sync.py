"""Refusals of the marketplace's integration: its API keys and the sync's batches."""

from __future__ import annotations

from .base import AuthenticationRequired, Conflict, InvalidInput, NotFound, PermissionDenied

__all__ = [
    "ApiKeyExists",
    "ApiKeyNameInvalid",
    "ApiKeyNotFound",
    "ApiKeyRevoked",
    "ApiKeyWrongScope",
    "InvalidApiKey",
    "SyncBatchTooLarge",
    "SyncKindUnknown",
]


class InvalidApiKey(AuthenticationRequired):
    code = "invalid_api_key"
    template = (
        "Ключ API не найден. Интеграция входит только по своему ключу "
        "(marketdesk apikey create), не по входу оператора."
    )


class ApiKeyRevoked(AuthenticationRequired):
    code = "api_key_revoked"
    template = "Ключ API отозван. Выпустите новый: marketdesk apikey create."


class ApiKeyWrongScope(PermissionDenied):
    code = "api_key_scope"
    template = "У ключа API нет доступа к этому разделу: нужен ключ с областью sync."


class ApiKeyExists(Conflict):
    code = "api_key_exists"
    template = "Ключ API с именем «{name}» уже есть."


class ApiKeyNameInvalid(InvalidInput):
    code = "api_key_name_invalid"
    template = "Имя ключа API — от 1 до 100 символов."


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    template = "Ключа API с именем «{name}» нет."


class SyncKindUnknown(NotFound):
    code = "sync_kind_unknown"
    template = "Неизвестный вид данных «{kind}». Допустимо: {kinds}."


class SyncBatchTooLarge(InvalidInput):
    code = "sync_batch_too_large"
    template = "В одном пакете не больше {limit} записей, передано {count}."
