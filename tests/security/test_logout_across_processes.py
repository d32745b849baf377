"""A logout on one server process closes that session's sockets on another at once (the
event goes through Redis), not at the next periodic re-check (an hour away here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.chat.servers import REDIS_URL, Server, redis_available
from tests.conftest import backends

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
@pytest.mark.parametrize("backend", backends())
def test_a_logout_on_one_server_closes_the_socket_on_another(
    backend: str, make_database: Callable[[str], Any]
) -> None:
    db = make_database(backend)
    slow_recheck = {"MARKETDESK_SOCKET_REAUTH_SECONDS": "3600"}
    first = Server(db.tmp, db.url, redis_url=REDIS_URL, log_name="a", env=slow_recheck).start()
    second = Server(db.tmp, db.url, redis_url=REDIS_URL, log_name="b", env=slow_recheck).start()
    try:
        operator = first.login("operator")
        other = first.login("supervisor")
        with (
            connect(f"{second.ws_url}/ws/operator") as staff,
            connect(f"{second.ws_url}/ws/operator") as colleague,
        ):
            for ws, token in ((staff, operator), (colleague, other)):
                ws.send(json.dumps({"type": "auth", "token": token}))
                assert json.loads(ws.recv(timeout=10))["type"] == "ready"
            assert first.post("/api/v1/auth/logout", operator).status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(100):
                    frame = json.loads(staff.recv(timeout=15))
                    assert frame["type"] in ("ping", "pong")
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            # the other session's socket stays
            colleague.send(json.dumps({"type": "ping"}))
            for _ in range(10):
                if json.loads(colleague.recv(timeout=10))["type"] == "pong":
                    break
            else:
                raise AssertionError("no pong")
    finally:
        first.stop()
        second.stop()
