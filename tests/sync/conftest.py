"""Two databases per backend: one loaded by the demo loader, one fed the same data through
the sync API, each with its own server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from marketdesk.server import create_app
from marketdesk.services import api_keys
from marketdesk.services.auth import hash_password, token_for_operator
from marketdesk.services.demo import load_demo
from marketdesk.store.db import Database
from marketdesk.store.migrate import upgrade
from marketdesk.store.models import Operator, OperatorRole, utcnow
from tests.conftest import DEMO_PASSWORD, TestDatabase, backends

from .seed_batches import seed_batches

NOW = utcnow()


@dataclass
class Side:
    db: TestDatabase
    client: TestClient
    operator: str  # an admin's bearer token
    key: str  # a sync API key


async def _prepare(db: TestDatabase, *, demo: bool) -> tuple[str, str]:
    database = Database(db.url)
    try:
        await upgrade(database)
        async with database.sessions() as session:
            if demo:
                await load_demo(session, password=DEMO_PASSWORD, now=NOW)
            else:  # the sync brings no staff: one admin to read the cards
                operator = Operator(
                    login="admin", password_hash=hash_password(DEMO_PASSWORD), full_name="Админ"
                )
                session.add(operator)
                await session.flush()
                session.add(OperatorRole(operator_id=operator.id, role="admin"))
                await session.commit()
            token = await token_for_operator(session, "admin", ttl=timedelta(hours=2))
            key = await api_keys.create_key(session, "marketplace", "sync")
            return token, key.token
    finally:
        await database.dispose()


@pytest.fixture(scope="module", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _side(make: Callable[[str], TestDatabase], backend: str, demo: bool) -> Iterator[Side]:
    db = make(backend)
    token, key = asyncio.run(_prepare(db, demo=demo))
    with TestClient(create_app(db.settings()), raise_server_exceptions=False) as client:
        yield Side(db, client, token, key)


@pytest.fixture(scope="module")
def seeded(make_database: Callable[[str], TestDatabase], backend: str) -> Iterator[Side]:
    """Loaded by the demo loader."""
    yield from _side(make_database, backend, demo=True)


@pytest.fixture(scope="module")
def synced(make_database: Callable[[str], TestDatabase], backend: str) -> Iterator[Side]:
    """Empty but for an admin; the tests feed it through the sync API."""
    yield from _side(make_database, backend, demo=False)


@pytest.fixture(scope="module")
def batches() -> dict[str, list[dict]]:
    return seed_batches(NOW)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
