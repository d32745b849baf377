"""Fixtures of the live-chat tests: a database and an app of their own, and helpers to make
visitors, customers and operators."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.bot import Bot
from marketdesk.channels.sms import DEMO_LOG_NAME, FileSmsGateway, read_demo_log
from marketdesk.server import create_app
from marketdesk.services.auth import hash_password, token_for_customer, token_for_operator
from marketdesk.services.notifications import deliver_due
from marketdesk.settings import Settings
from marketdesk.store.models import (
    Customer,
    Operator,
    OperatorLine,
    OperatorPresence,
    OperatorRole,
    TravelProfile,
)
from tests.conftest import TestDatabase, backends, prepare, run_db

_ids = itertools.count(90_000_001)


@pytest.fixture(scope="module")
def bot() -> Bot:
    """The support bot on the shipped knowledge base."""
    return Bot.from_directory(Settings().kb_dir)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class ChatEnv:
    """A migrated demo database, a running app on it, and helpers."""

    def __init__(self, db: TestDatabase, client: TestClient) -> None:
        self.db = db
        self.client = client

    def run(self, work: Callable[[Any], Any]) -> Any:
        return run_db(self.db, work)

    def visitor(self) -> str:
        response = self.client.post("/api/v1/visitors")
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def customer(
        self, *, phone: str | None = None, travel: dict[str, Any] | None = None
    ) -> tuple[int, str]:
        customer_id = next(_ids)

        async def work(session: Any) -> str:
            session.add(
                Customer(
                    id=customer_id,
                    full_name=f"Покупатель {customer_id}",
                    registered_on=date(2024, 1, 1),
                    phone=phone,
                )
            )
            await session.flush()
            if travel is not None:
                session.add(TravelProfile(customer_id=customer_id, **travel))
            await session.commit()
            return await token_for_customer(session, customer_id, ttl=timedelta(hours=1))

        return customer_id, self.run(work)

    def operator(
        self,
        *,
        lines: tuple[str, ...] = ("general",),
        capacity: int = 3,
        available: bool = False,
        roles: tuple[str, ...] = ("operator",),
    ) -> tuple[int, str]:
        login = f"op-{uuid.uuid4().hex[:10]}"

        async def work(session: Any) -> tuple[int, str]:
            operator = Operator(
                login=login,
                password_hash=hash_password("x"),
                full_name=f"Оператор {login}",
                chat_capacity=capacity,
            )
            session.add(operator)
            await session.flush()
            session.add_all(OperatorRole(operator_id=operator.id, role=r) for r in roles)
            session.add_all(OperatorLine(operator_id=operator.id, line=ln) for ln in lines)
            await session.commit()
            token = await token_for_operator(session, login, ttl=timedelta(hours=1))
            return operator.id, token

        operator_id, token = self.run(work)
        if available:
            self.set_available(token, True)
        return operator_id, token

    def set_available(self, token: str, available: bool) -> None:
        response = self.client.put(
            "/api/v1/operator/availability", json={"available": available}, headers=auth(token)
        )
        assert response.status_code == 200, response.text

    def operator_ids_available(self, ids: list[int]) -> None:
        async def work(session: Any) -> None:
            for op_id in ids:
                presence = await session.get(OperatorPresence, op_id)
                assert presence is not None

        self.run(work)

    def conversation(self, token: str, line: str = "general", **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/conversations", json={"line": line, **extra}, headers=auth(token)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def send(
        self,
        token: str,
        conversation_id: int,
        text: str,
        client_msg_id: str | None = None,
        **extra: Any,
    ) -> Any:
        return self.client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"client_msg_id": client_msg_id or uuid.uuid4().hex, "text": text, **extra},
            headers=auth(token),
        )

    def messages(
        self, token: str, conversation_id: int, after_seq: int = 0
    ) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/api/v1/conversations/{conversation_id}/messages",
            params={"after_seq": after_seq},
            headers=auth(token),
        )
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    def get(self, token: str, conversation_id: int) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/conversations/{conversation_id}", headers=auth(token))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def post(self, token: str, path: str, body: Any = None) -> Any:
        return self.client.post(path, json=body, headers=auth(token))

    def sms_code(self, phone: str) -> str | None:
        """The last login code sent to ``phone``, as a demo user gets it: the outbox is
        delivered (what is still pending) through the demo gateway, whose file is read."""
        path = self.db.tmp / DEMO_LOG_NAME

        async def deliver(session: Any) -> None:
            await deliver_due(session, {"sms": FileSmsGateway(path)}, secret=b"s")

        self.run(deliver)
        texts = [sms.text for sms in read_demo_log(path) if sms.phone == phone]
        found = re.search(r"\b(\d{6})\b", texts[-1]) if texts else None
        return found.group(1) if found else None


def _env(make_database: Callable[[str], TestDatabase], backend: str) -> Iterator[ChatEnv]:
    db = make_database(backend)
    prepare(db.url)
    app = create_app(db.settings())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ChatEnv(db, client)


@pytest.fixture(scope="module", params=backends())
def env(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChatEnv]:
    """Shared by the tests of one module (do not rely on the queue being empty)."""
    yield from _env(make_database, request.param)


@pytest.fixture(params=backends())
def fresh_env(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChatEnv]:
    """A database of the test's own: queues and operators' loads start empty."""
    yield from _env(make_database, request.param)
