"""A server of its own for the content tests (a database and a data dir of their own, on
each backend): article edits change the bot's answers, news items the operators' lists, and
neither may leak into the shared demo database the other tests read."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.server import create_app
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from tests.conftest import DEMO_PASSWORD, ROLES, TestDatabase, backends, prepare, run_db

KINDS = (*ROLES, "customer", "visitor", "anonymous")


@dataclass
class ContentEnv:
    client: TestClient
    tokens: dict[str, str]
    settings: Settings
    db: TestDatabase

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def run(self, work: Callable[[Any], Any]) -> Any:
        return run_db(self.db, work)


def _tokens(client: TestClient, db: TestDatabase) -> dict[str, str]:
    result = {}
    for login in ROLES:
        response = client.post(
            "/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        result[login] = response.json()["token"]

    async def others() -> None:
        from marketdesk.services.auth import create_visitor, token_for_customer

        database = Database(db.url)
        try:
            async with database.sessions() as session:
                result["visitor"] = await create_visitor(session, ttl=timedelta(hours=1))
                result["customer"] = await token_for_customer(
                    session, 58561573, ttl=timedelta(hours=1)
                )
        finally:
            await database.dispose()

    asyncio.run(others())
    return result


@pytest.fixture(scope="module", params=backends())
def env(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ContentEnv]:
    db = make_database(request.param)
    prepare(db.url)
    settings = db.settings(data_dir=db.tmp / "data", kb_watch_interval_seconds=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield ContentEnv(client, _tokens(client, db), settings, db)
