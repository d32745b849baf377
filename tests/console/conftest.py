"""Helpers of the console tests: a conversation of customer 58561573 waiting in the queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth


def _ok(response, status=(200, 201)):
    assert response.status_code in status, response.text
    return response.json()


def waiting_conversation(
    client: TestClient, token: str, *texts: str, body: dict[str, str] | None = None
) -> int:
    """A conversation of the token's customer or visitor with their messages, handed to the
    queue of its line."""
    headers = auth(token)
    cid = int(_ok(client.post("/api/v1/conversations", json=body or {}, headers=headers))["id"])
    for text in texts:
        _ok(
            client.post(
                f"/api/v1/conversations/{cid}/messages",
                json={"client_msg_id": uuid.uuid4().hex, "text": text},
                headers=headers,
            )
        )
    _ok(client.post(f"/api/v1/conversations/{cid}/handoff", headers=headers))
    return cid


@pytest.fixture
def queued_conversation(client: TestClient, tokens: dict[str, str]) -> Iterator[Callable[..., int]]:
    """Make a conversation of customer 58561573 (or a visitor) wait for an operator; every one
    made is closed at the end, so that the operators' capacity is never used up."""
    made: list[int] = []

    def make(text: str = "Не могу применить купон", who: str = "customer") -> int:
        made.append(waiting_conversation(client, tokens[who], text))
        return made[-1]

    yield make
    for cid in made:
        client.post(f"/api/v1/conversations/{cid}/close", headers=auth(tokens["supervisor"]))


@pytest.fixture
def taken_conversation(client, tokens, queued_conversation) -> Callable[..., int]:
    def make(text: str = "Не могу применить купон", who: str = "operator") -> int:
        cid = queued_conversation(text)
        _ok(client.post(f"/api/v1/conversations/{cid}/take", headers=auth(tokens[who])))
        return cid

    return make
