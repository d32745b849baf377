"""The WebSocket protocol: auth frame, replay from last_seq, live events, bad frames."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.chat.conftest import ChatEnv, auth


def _receive_until(ws: Any, kind: str, limit: int = 50) -> list[dict[str, Any]]:
    """Frames up to and including the first of ``kind`` (heartbeats skipped)."""
    frames = []
    for _ in range(limit):
        frame = ws.receive_json()
        if frame["type"] == "ping":
            continue
        frames.append(frame)
        if frame["type"] == kind:
            return frames
    raise AssertionError(f"no {kind} frame in {frames}")


def _messages(ws: Any, count: int) -> list[dict[str, Any]]:
    out = []
    while len(out) < count:
        frame = ws.receive_json()
        if frame["type"] == "message":
            out.append(frame["message"])
    return out


def test_replay_after_reconnect_sends_exactly_what_was_missed(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    cid = conversation["id"]
    env.send(token, cid, "Как активировать подарочный сертификат?")  # seq 1, 2 (bot)
    env.send(token, cid, "Где мой заказ?")  # seq 3, 4 (bot)

    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": token, "last_seq": 2})
        ready = ws.receive_json()
        assert ready["type"] == "ready"
        assert ready["conversation"]["id"] == cid
        replayed = _messages(ws, 2)
        assert [m["seq"] for m in replayed] == [3, 4]
        assert replayed[0]["text"] == "Где мой заказ?"

        # a send over the socket: acknowledged once stored, then the live events in order
        ws.send_json({"type": "message", "client_msg_id": "ws-1", "text": "Спасибо"})
        frames = _receive_until(ws, "ack")
        ack = frames[-1]
        assert ack["seq"] == 5
        assert ack["duplicate"] is False
        live = [f["message"]["seq"] for f in frames if f["type"] == "message"]
        live += [m["seq"] for m in _messages(ws, 2 - len(live))]
        assert live == [5, 6]
        # a retry of the same frame is acknowledged with the same message, nothing new
        ws.send_json({"type": "message", "client_msg_id": "ws-1", "text": "Спасибо"})
        again = _receive_until(ws, "ack")[-1]
        assert (again["id"], again["seq"], again["duplicate"]) == (ack["id"], 5, True)

    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": token, "last_seq": 0})
        assert ws.receive_json()["type"] == "ready"
        assert [m["seq"] for m in _messages(ws, 6)] == [1, 2, 3, 4, 5, 6]
    assert [m["seq"] for m in env.messages(token, cid)] == [1, 2, 3, 4, 5, 6]


def test_live_messages_reach_the_customer_but_private_notes_do_not(fresh_env: ChatEnv) -> None:
    env = fresh_env
    operator_id, operator = env.operator(available=True)
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    last = env.get(token, cid)["last_seq"]

    with (
        env.client.websocket_connect(f"/ws/conversations/{cid}") as customer,
        env.client.websocket_connect("/ws/operator") as staff,
    ):
        customer.send_json({"type": "auth", "token": token, "last_seq": last})
        assert customer.receive_json()["type"] == "ready"
        staff.send_json({"type": "auth", "token": operator})
        ready = staff.receive_json()
        assert ready["type"] == "ready"
        assert ready["operator_id"] == operator_id
        assert [c["id"] for c in ready["conversations"]] == [cid]

        env.send(operator, cid, "Заметка для коллег", private=True)
        env.send(operator, cid, "Здравствуйте, чем помочь?")
        [seen] = _messages(customer, 1)
        assert seen["text"] == "Здравствуйте, чем помочь?"
        assert seen["seq"] == last + 2  # the note took a seq, the customer never saw it
        staff_seen = _messages(staff, 2)
        assert [m["text"] for m in staff_seen] == [
            "Заметка для коллег",
            "Здравствуйте, чем помочь?",
        ]

        # the customer's message over the socket reaches the operator's socket
        customer.send_json({"type": "message", "client_msg_id": "c-1", "text": "Заказ 123"})
        [incoming] = _messages(staff, 1)
        assert (incoming["text"], incoming["conversation_id"]) == ("Заказ 123", cid)
        # the operator answers over its socket
        staff.send_json(
            {"type": "message", "conversation_id": cid, "client_msg_id": "o-1", "text": "Вижу"}
        )
        ack = _receive_until(staff, "ack")[-1]
        assert ack["conversation_id"] == cid
        texts = [m["text"] for m in _messages(customer, 2)]
        assert texts == ["Заказ 123", "Вижу"]

        # resolving shows up as a conversation event, without staff ids for the customer
        env.post(operator, f"/api/v1/conversations/{cid}/resolve")
        change = _receive_until(customer, "conversation")[-1]["conversation"]
        assert change["status"] == "resolved"
        assert "assigned_operator_id" not in change


def test_an_operator_socket_reply_passes_the_privacy_guard(fresh_env: ChatEnv) -> None:
    """A leak over the operator's socket is refused with the reasons, audited, stores
    nothing and leaves the socket open; a clean reply and a note after it go through."""
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    last = env.get(token, cid)["last_seq"]
    leak = "У вас 3 пересечения с другими аккаунтами"
    with env.client.websocket_connect("/ws/operator") as staff:
        staff.send_json({"type": "auth", "token": operator})
        assert staff.receive_json()["type"] == "ready"
        staff.send_json(
            {"type": "message", "conversation_id": cid, "client_msg_id": "leak", "text": leak}
        )
        error = _receive_until(staff, "error")[-1]
        assert (error["code"], error["client_msg_id"]) == ("privacy_violation", "leak")
        assert "пересечений" in error["message"]
        for client_msg_id, text, private in [("ok", "Проверяю", False), ("note", leak, True)]:
            staff.send_json(
                {
                    "type": "message",
                    "conversation_id": cid,
                    "client_msg_id": client_msg_id,
                    "text": text,
                    "private": private,
                }
            )
            ack = _receive_until(staff, "ack")[-1]
            assert ack["client_msg_id"] == client_msg_id
    assert env.get(token, cid)["last_seq"] == last + 2
    assert [m["text"] for m in env.messages(token, cid)][-1] == "Проверяю"


def test_operator_socket_hears_the_queue(fresh_env: ChatEnv) -> None:
    env = fresh_env
    operator_id, operator = env.operator(lines=("general",))
    with env.client.websocket_connect("/ws/operator") as staff:
        staff.send_json({"type": "auth", "token": operator})
        assert staff.receive_json()["lines"] == ["general"]
        token = env.visitor()
        cid = env.conversation(token)["id"]
        env.post(token, f"/api/v1/conversations/{cid}/handoff")
        queued = _receive_until(staff, "conversation")[-1]["conversation"]
        assert (queued["id"], queued["status"]) == (cid, "queued")
        env.post(operator, f"/api/v1/conversations/{cid}/take")
        taken = _receive_until(staff, "conversation")[-1]["conversation"]
        assert (taken["status"], taken["assigned_operator_id"]) == ("assigned", operator_id)


def test_operator_socket_replays_what_its_operator_missed(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    seen = env.get(operator, cid)["last_seq"]
    for text in ("первое", "второе", "третье"):  # the operator is away
        assert env.send(token, cid, text).status_code == 201
    with env.client.websocket_connect("/ws/operator") as staff:
        staff.send_json({"type": "auth", "token": operator, "last_seqs": {str(cid): seen}})
        assert staff.receive_json()["type"] == "ready"
        missed = _messages(staff, 3)
        assert [m["seq"] for m in missed] == [seen + 1, seen + 2, seen + 3]
        assert [m["text"] for m in missed] == ["первое", "второе", "третье"]
        # then live, each message once
        env.send(token, cid, "четвёртое")
        assert [m["text"] for m in _messages(staff, 1)] == ["четвёртое"]
    for bad in (
        {"x": 1},
        {str(cid): -1},
        {str(cid): True},
        [cid],
        {"1": 1} | {str(n): 0 for n in range(2, 600)},
    ):
        with env.client.websocket_connect("/ws/operator") as staff:
            staff.send_json({"type": "auth", "token": operator, "last_seqs": bad})
            assert staff.receive_json()["code"] == "bad_frame"
            with pytest.raises(WebSocketDisconnect) as closed:
                staff.receive_json()
            assert closed.value.code == 1008
    with env.client.websocket_connect("/ws/operator") as staff:  # an unknown conversation
        staff.send_json({"type": "auth", "token": operator, "last_seqs": {"999999999": 0}})
        assert staff.receive_json()["type"] == "ready"
        error = _receive_until(staff, "error")[-1]
        assert (error["code"], error["conversation_id"]) == ("conversation_not_found", 999999999)


def test_malformed_and_oversized_frames_get_an_error_and_store_nothing(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": token})
        assert ws.receive_json()["type"] == "ready"
        ws.send_text("{не json")
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_text("[1, 2]")
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "message", "text": "без id"})
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "dance"})
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "message", "client_msg_id": "long", "text": "x" * 4001})
        error = ws.receive_json()
        assert (error["code"], error["client_msg_id"]) == ("message_too_long", "long")
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        ws.send_bytes(b"\x00\x01binary")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1003
    assert env.messages(token, cid) == []


def test_bad_auth_and_foreign_conversations_close_with_1008(env: ChatEnv) -> None:
    owner = env.visitor()
    stranger = env.visitor()
    cid = env.conversation(owner)["id"]
    cases = [
        {"type": "auth", "token": "not-a-token"},
        {"type": "message", "client_msg_id": "x", "text": "без входа"},
    ]
    for first in cases:
        with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
            ws.send_json(first)
            assert ws.receive_json()["type"] == "error"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008
    codes = []
    for target in (cid, cid + 100_000):
        with env.client.websocket_connect(f"/ws/conversations/{target}") as ws:
            ws.send_json({"type": "auth", "token": stranger})
            error = ws.receive_json()
            codes.append(error["code"])
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008
    assert codes == ["conversation_not_found", "conversation_not_found"]
    # customers cannot open the operator socket
    with env.client.websocket_connect("/ws/operator") as ws:
        ws.send_json({"type": "auth", "token": owner})
        assert ws.receive_json()["code"] == "forbidden"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    assert env.messages(owner, cid) == []


def test_rest_client_without_websockets_sees_the_same_stream(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    ids = [uuid.uuid4().hex for _ in range(3)]
    for i, client_msg_id in enumerate(ids):
        assert env.send(token, cid, f"вопрос {i}", client_msg_id=client_msg_id).status_code == 201
    seqs = [m["seq"] for m in env.messages(token, cid)]
    assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))
    assert (
        env.client.get(
            f"/api/v1/conversations/{cid}/messages", params={"after_seq": -1}, headers=auth(token)
        ).status_code
        == 422
    )


def test_a_logout_closes_the_open_sockets_of_that_session(env: ChatEnv) -> None:
    from fastapi.testclient import TestClient

    from marketdesk.server import create_app

    _, operator = env.operator()
    customer = env.visitor()
    cid = env.conversation(customer)["id"]
    app = create_app(env.db.settings(socket_reauth_seconds=0.2))
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws/operator") as staff,
        client.websocket_connect(f"/ws/conversations/{cid}") as visitor,
    ):
        staff.send_json({"type": "auth", "token": operator})
        assert _receive_until(staff, "ready")[-1]["type"] == "ready"
        visitor.send_json({"type": "auth", "token": customer, "last_seq": 0})
        assert _receive_until(visitor, "ready")[-1]["type"] == "ready"
        assert client.post("/api/v1/auth/logout", headers=auth(operator)).status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(50):
                staff.receive_json()
        assert closed.value.code == 1008
        # the customer's socket, whose token is still valid, stays open and works
        visitor.send_json({"type": "ping"})
        assert _receive_until(visitor, "pong")[-1]["type"] == "pong"
