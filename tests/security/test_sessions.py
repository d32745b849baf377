"""Sessions end when they should, and their sockets with them at once: a logout closes the
session's sockets without waiting for the periodic re-check, and a phone login that adopts
a visitor's conversation ends the visitor's token (REST and sockets)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from marketdesk.server import create_app
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

WIDGET = Path(__file__).parents[2] / "marketdesk" / "web"


@pytest.fixture
def client(env: ChatEnv) -> Iterator[TestClient]:
    """An app whose periodic session re-check would come only after an hour."""
    app = create_app(env.db.settings(socket_reauth_seconds=3600))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _ready(ws: Any, token: str) -> None:
    ws.send_json({"type": "auth", "token": token, "last_seq": 0})
    for _ in range(50):
        if ws.receive_json()["type"] == "ready":
            return
    raise AssertionError("no ready frame")


def _closed_at_once(ws: Any) -> int:
    """The socket was closed by the server: a ping gets no pong. → the close code."""
    ws.send_json({"type": "ping"})
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(50):
            frame = ws.receive_json()
            assert frame["type"] != "pong", "the socket is still served"
    return closed.value.code


def _still_open(ws: Any) -> None:
    ws.send_json({"type": "ping"})
    for _ in range(50):
        if ws.receive_json()["type"] == "pong":
            return
    raise AssertionError("no pong")


def test_logout_closes_the_sessions_sockets_at_once(env: ChatEnv, client: TestClient) -> None:
    _, operator = env.operator()
    _, customer = env.customer()
    cid = env.conversation(customer)["id"]
    other = env.visitor()
    other_cid = env.conversation(other)["id"]
    with (
        client.websocket_connect("/ws/operator") as staff,
        client.websocket_connect(f"/ws/conversations/{cid}") as mine,
        client.websocket_connect(f"/ws/conversations/{other_cid}") as theirs,
    ):
        _ready(staff, operator)
        _ready(mine, customer)
        _ready(theirs, other)
        assert client.post("/api/v1/auth/logout", headers=auth(customer)).status_code == 204
        assert _closed_at_once(mine) == 1008
        assert client.post("/api/v1/auth/logout", headers=auth(operator)).status_code == 204
        assert _closed_at_once(staff) == 1008
        _still_open(theirs)  # another session's socket is not touched


def test_phone_login_ends_the_visitor_token(env: ChatEnv, client: TestClient) -> None:
    phone = "+7997" + str(customer_counter()).zfill(7)
    customer_id, _ = env.customer(phone=phone)
    visitor = env.visitor()
    cid = env.conversation(visitor)["id"]
    env.send(visitor, cid, "Вопрос до входа")
    with client.websocket_connect(f"/ws/conversations/{cid}") as old_socket:
        _ready(old_socket, visitor)
        assert client.post("/api/v1/auth/phone/code", json={"phone": phone}).status_code == 200
        code = env.sms_code(phone)
        assert code is not None
        verified = client.post(
            "/api/v1/auth/phone/verify",
            json={"phone": phone, "code": code, "visitor_token": visitor},
        )
        assert verified.status_code == 200, verified.text
        token = verified.json()["token"]
        assert _closed_at_once(old_socket) == 1008
    # the old token reads and writes nothing any more
    for response in (
        client.get(f"/api/v1/conversations/{cid}", headers=auth(visitor)),
        client.get(f"/api/v1/conversations/{cid}/messages", headers=auth(visitor)),
        client.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "after-login", "text": "ещё"},
            headers=auth(visitor),
        ),
        client.get("/api/v1/auth/me", headers=auth(visitor)),
    ):
        assert_error(response, 401, "invalid_token")
    # the customer has the conversation
    messages = client.get(f"/api/v1/conversations/{cid}/messages", headers=auth(token))
    assert messages.json()["messages"][0]["text"] == "Вопрос до входа"
    me = client.get("/api/v1/auth/me", headers=auth(token)).json()
    assert me["id"] == str(customer_id)


_counter = iter(range(1, 10_000_000))


def customer_counter() -> int:
    return next(_counter)


def test_the_widget_has_a_logout_for_a_logged_in_customer() -> None:
    page = (WIDGET / "templates" / "widget.html").read_text(encoding="utf-8")
    script = (WIDGET / "static" / "widget" / "widget.js").read_text(encoding="utf-8")
    assert re.search(r'<button[^>]*id="logout"[^>]*hidden[^>]*>Выйти</button>', page)
    assert 'api("POST", "/api/v1/auth/logout")' in script
