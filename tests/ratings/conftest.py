"""Fixtures of the «Оценка сервиса» tests: the live-chat tests' database and app
(``tests/chat/conftest.py``), a token for every kind of user, resolved conversations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chat.conftest import ChatEnv, env
from tests.conftest import DEMO_PASSWORD, ROLES

__all__ = ["env", "resolved", "users"]


@pytest.fixture(scope="module")
def users(env: ChatEnv) -> dict[str, str]:
    """A token for each demo role, a visitor and a customer."""
    result: dict[str, str] = {}
    for login in ROLES:
        response = env.client.post(
            "/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        result[login] = response.json()["token"]
    result["visitor"] = env.visitor()
    result["customer"] = env.customer()[1]
    return result


def resolve_one(env: ChatEnv) -> tuple[int, str, str]:
    """A visitor's conversation, taken by a new operator and resolved.
    → (conversation id, the visitor's token, the operator's token)."""
    visitor = env.visitor()
    _, operator = env.operator()
    cid = int(env.conversation(visitor)["id"])
    for token, path in (
        (visitor, "handoff"),
        (operator, "take"),
        (operator, "resolve"),
    ):
        response = env.post(token, f"/api/v1/conversations/{cid}/{path}")
        assert response.status_code == 200, response.text
    return cid, visitor, operator


@pytest.fixture
def resolved(env: ChatEnv) -> Any:
    return lambda: resolve_one(env)
