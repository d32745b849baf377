"""Two real server processes on one database share live events through one Redis."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.chat.servers import REDIS_URL, Server, redis_available
from tests.conftest import backends

pytestmark = pytest.mark.slow


def _next(ws: ClientConnection, kind: str, **match: Any) -> dict[str, Any]:
    for _ in range(100):
        frame = json.loads(ws.recv(timeout=15))
        if frame["type"] != kind:
            continue
        body = frame.get("message") or frame.get("conversation") or frame
        if all(body.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {kind} frame matching {match}")


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
@pytest.mark.parametrize("backend", backends())
def test_two_servers_share_live_events_through_redis(
    backend: str, make_database: Callable[[str], Any]
) -> None:
    db = make_database(backend)
    first = Server(db.tmp, db.url, redis_url=REDIS_URL, log_name="first").start()
    second = Server(db.tmp, db.url, redis_url=REDIS_URL, log_name="second").start()
    try:
        operator = second.login("operator")
        me = second.get("/api/v1/auth/me", operator).json()
        response = httpx.put(
            second.url + "/api/v1/operator/availability",
            json={"available": True},
            headers={"Authorization": f"Bearer {operator}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        visitor = first.visitor()
        cid = first.post("/api/v1/conversations", visitor, {"line": "general"}).json()["id"]

        with (
            connect(f"{first.ws_url}/ws/conversations/{cid}") as customer,
            connect(f"{second.ws_url}/ws/operator") as staff,
        ):
            customer.send(json.dumps({"type": "auth", "token": visitor, "last_seq": 0}))
            assert json.loads(customer.recv(timeout=10))["type"] == "ready"
            staff.send(json.dumps({"type": "auth", "token": operator}))
            assert json.loads(staff.recv(timeout=10))["type"] == "ready"

            # the customer calls an operator on the first server; the second one hears it
            assert first.post(f"/api/v1/conversations/{cid}/handoff", visitor).status_code == 200
            assigned = _next(staff, "conversation", id=cid, status="assigned")
            assert assigned["conversation"]["assigned_operator_id"] == int(me["id"])

            text = f"Вопрос через первый сервер {uuid.uuid4().hex[:6]}"
            customer.send(json.dumps({"type": "message", "client_msg_id": "a-1", "text": text}))
            heard = _next(staff, "message", text=text)
            assert heard["message"]["conversation_id"] == cid

            staff.send(
                json.dumps(
                    {
                        "type": "message",
                        "conversation_id": cid,
                        "client_msg_id": "b-1",
                        "text": "Ответ со второго сервера",
                    }
                )
            )
            answer = _next(customer, "message", text="Ответ со второго сервера")
            assert answer["message"]["sender_kind"] == "operator"
            assert answer["message"]["seq"] == heard["message"]["seq"] + 1

            # a REST client of the first server sees the same stream, in order, once
            messages = first.get(f"/api/v1/conversations/{cid}/messages", visitor).json()
            seqs = [m["seq"] for m in messages["messages"]]
            assert seqs == list(range(1, len(seqs) + 1))
            assert [m["client_msg_id"] for m in messages["messages"]].count("a-1") == 1
    finally:
        first.stop()
        second.stop()
