"""Dependencies shared by the routers: the database session and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from marketdesk.services import api_keys, auth
from marketdesk.services.api_keys import KeyPrincipal
from marketdesk.services.chat.events import Publisher, no_publisher
from marketdesk.services.errors import InvalidToken, TokenRequired
from marketdesk.services.principals import Principal
from marketdesk.settings import Settings
from marketdesk.store.db import AsyncSession, Database

__all__ = [
    "CurrentOperator",
    "CurrentPrincipal",
    "DbSession",
    "SyncKey",
    "get_settings",
    "publisher_of",
    "settings_of",
]


def publisher_of(request: Request) -> Publisher:
    """Where the application serving ``request`` publishes live events (its broker's
    ``publish``), or nowhere when it has no broker."""
    broker = getattr(request.app.state, "broker", None)
    return no_publisher if broker is None else broker.publish


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_settings(request: Request) -> Settings:
    """The dependency (a coroutine: FastAPI runs a plain function's dependency in its
    thread pool, a hand-off to another thread on every request)."""
    return settings_of(request)


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRequired()
    return token.strip()


async def get_principal(request: Request, session: DbSession) -> Principal:
    token = bearer_token(request)
    if len(token) > 512:
        raise InvalidToken()
    cache = getattr(request.app.state, "principal_cache", None)
    return await auth.authenticate(session, token, cache=cache)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_operator(principal: CurrentPrincipal) -> Principal:
    principal.require_operator()
    return principal


CurrentOperator = Annotated[Principal, Depends(get_operator)]


async def get_sync_key(request: Request, session: DbSession) -> KeyPrincipal:
    """The marketplace's integration: an API key of the ``sync`` scope (never a login)."""
    return await api_keys.authenticate_key(session, bearer_token(request), "sync")


SyncKey = Annotated[KeyPrincipal, Depends(get_sync_key)]
