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


@pytest.fixture
def queued_conversation(client: TestClient, tokens: dict[str, str]) -> Iterator[Callable[..., int]]:
    """Make a conversation of customer 58561573 (or a visitor) wait for an operator; every one
    made is closed at the end, so that the operators' capacity is never used up."""
    made: list[int] = []

    def make(text: str = "Не могу применить купон", who: str = "customer") -> int:
        headers = auth(tokens[who])
        conversation = _ok(client.post("/api/v1/conversations", json={}, headers=headers))
        cid = conversation["id"]
        made.append(cid)
        _ok(
            client.post(
                f"/api/v1/conversations/{cid}/messages",
                json={"client_msg_id": uuid.uuid4().hex, "text": text},
                headers=headers,
            )
        )
        _ok(client.post(f"/api/v1/conversations/{cid}/handoff", headers=headers))
        return int(cid)

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
