"""API keys of the marketplace's integrations: bearer tokens with a scope, made on the server
host (``marketdesk apikey create NAME --scope sync``), never an operator's login. Only the
SHA-256 of a token is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.store.models import ApiKey, AuditEntry, utcnow

from .errors import (
    ApiKeyExists,
    ApiKeyNameInvalid,
    ApiKeyNotFound,
    ApiKeyRevoked,
    ApiKeyWrongScope,
    InvalidApiKey,
)

__all__ = [
    "SCOPES",
    "TOKEN_PREFIX",
    "ApiKeyInfo",
    "CreatedKey",
    "KeyPrincipal",
    "authenticate_key",
    "create_key",
    "list_keys",
    "revoke_key",
]

SCOPES: Final = ("sync",)
"""What a key may do: ``sync`` — the marketplace's data in (``/api/v1/sync/…``)."""

TOKEN_PREFIX: Final = "mdk_"  # noqa: S105 (the prefix of every key, not a secret)
_LAST_USED_EVERY: Final = timedelta(minutes=1)  # not a write per request


@dataclass(frozen=True, slots=True)
class KeyPrincipal:
    """The integration behind a request: the key's id, name and scope."""

    id: int
    name: str
    scope: str

    @property
    def actor(self) -> str:
        return f"api_key:{self.name}"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    name: str
    scope: str
    token: str  # shown once


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    name: str
    scope: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _audit(session: AsyncSession, action: str, name: str, **details: object) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_kind="cli",
            actor_id=None,
            action=action,
            entity_kind="api_key",
            entity_id=name,
            details=dict(details),
        )
    )


async def create_key(session: AsyncSession, name: str, scope: str) -> CreatedKey:
    """A new key; its token is returned once and only its hash stays."""
    name = name.strip()
    if scope not in SCOPES or not name or len(name) > 100:
        raise ApiKeyWrongScope() if scope not in SCOPES else ApiKeyNameInvalid()
    if await session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ApiKeyExists(name=name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            name=name,
            scope=scope,
            token_hash=_hash(token),
            prefix=token[: len(TOKEN_PREFIX) + 4],
            created_at=utcnow(),
        )
    )
    _audit(session, "api_key.created", name, scope=scope)
    await session.commit()
    return CreatedKey(name, scope, token)


async def list_keys(session: AsyncSession) -> list[ApiKeyInfo]:
    rows = await session.scalars(select(ApiKey).order_by(ApiKey.id))
    return [
        ApiKeyInfo(r.name, r.scope, r.prefix, r.created_at, r.last_used_at, r.revoked_at)
        for r in rows
    ]


async def revoke_key(session: AsyncSession, name: str) -> None:
    row = await session.scalar(select(ApiKey).where(ApiKey.name == name.strip()))
    if row is None:
        raise ApiKeyNotFound(name=name)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        _audit(session, "api_key.revoked", row.name)
        await session.commit()


async def authenticate_key(session: AsyncSession, token: str, scope: str) -> KeyPrincipal:
    """The key behind a bearer token, if it is live and has ``scope``; refused otherwise
    (an unknown token — an operator's session too — ``invalid_api_key``, a revoked key
    ``api_key_revoked``, another scope ``api_key_scope``)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise InvalidApiKey()
    row = await session.scalar(select(ApiKey).where(ApiKey.token_hash == _hash(token)))
    if row is None:
        raise InvalidApiKey()
    if row.revoked_at is not None:
        raise ApiKeyRevoked()
    if row.scope != scope:
        raise ApiKeyWrongScope()
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_EVERY:
        await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        await session.commit()
    return KeyPrincipal(row.id, row.name, row.scope)
