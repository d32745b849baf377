"""A supervisor forces an operator out (issue 16): every session of the operator ends, their
next request is 401 and their open socket closes at once (not at the periodic re-check);
another operator's socket stays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from marketdesk.server import create_app
from tests.conftest import auth
from tests.errors import assert_error
from tests.people.conftest import login


@pytest.fixture
def app_client(demo_db) -> Iterator[TestClient]:
    """An app whose periodic session re-check would come only after an hour."""
    app = create_app(demo_db.settings(socket_reauth_seconds=3600))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _ready(ws: Any, token: str) -> None:
    ws.send_json({"type": "auth", "token": token, "last_seq": 0})
    for _ in range(50):
        if ws.receive_json()["type"] == "ready":
            return
    raise AssertionError("no ready frame")


def _closed(ws: Any) -> int:
    ws.send_json({"type": "ping"})
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(50):
            assert ws.receive_json()["type"] != "pong", "the socket is still served"
    return closed.value.code


def _open(ws: Any) -> None:
    ws.send_json({"type": "ping"})
    for _ in range(50):
        if ws.receive_json()["type"] == "pong":
            return
    raise AssertionError("no pong")


@pytest.mark.parametrize("by", ["supervisor", "admin"])
def test_a_forced_logout_ends_requests_and_sockets(app_client, tokens, new_staff, by):
    target, bystander = new_staff(), new_staff()
    first = login(app_client, target["login"]).json()["token"]
    second = login(app_client, target["login"]).json()["token"]  # another tab
    other = login(app_client, bystander["login"]).json()["token"]
    with (
        app_client.websocket_connect("/ws/operator") as socket,
        app_client.websocket_connect("/ws/operator") as others,
    ):
        _ready(socket, first)
        _ready(others, other)
        ended = app_client.post(
            f"/api/v1/operators/{target['id']}/logout", headers=auth(tokens[by])
        )
        assert ended.status_code == 200, ended.text
        assert ended.json() == {"sessions_ended": 2}
        assert _closed(socket) == 1008
        _open(others)
    for token in (first, second):
        assert_error(app_client.get("/api/v1/auth/me", headers=auth(token)), 401, "invalid_token")
    assert app_client.get("/api/v1/auth/me", headers=auth(other)).status_code == 200
    # they may log in again (a forced logout is not a deactivation)
    assert login(app_client, target["login"]).status_code == 200
    entry = app_client.get(
        f"/api/v1/audit?entity=operator:{target['id']}&action=operator.logged_out",
        headers=auth(tokens["admin"]),
    ).json()["entries"][0]
    assert entry["details"] == {"sessions_ended": 2}


def test_an_operator_cannot_force_a_colleague_out(app_client, tokens, new_staff):
    target = new_staff()
    token = login(app_client, target["login"]).json()["token"]
    for who in ("operator", "backoffice"):
        assert_error(
            app_client.post(f"/api/v1/operators/{target['id']}/logout", headers=auth(tokens[who])),
            403,
            "forbidden",
        )
    assert app_client.get("/api/v1/auth/me", headers=auth(token)).status_code == 200
