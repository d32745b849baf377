"""Line-scoped access to conversations (issue 18, finding 8): every role × every line × every
action, over REST and the sockets.

A conversation is readable by its owner, by the operators of its line, by whoever is or
was assigned to it, and by supervisors and admins. Everyone else gets exactly what a
missing conversation gets: 404 ``conversation_not_found`` (sockets: that error, then 1008).
Writing needs read access plus each action's own rule (a reply needs the assigned operator,
back office does not write in chats, …)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.chat.conftest import ChatEnv, _env, auth
from tests.conftest import DEMO_PASSWORD, TestDatabase, backends
from tests.errors import assert_error

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LINES = ("general", "travel_priority", "seller")
# demo operators (demo/seed.yaml): the role in the matrix → login, and the lines each reads
STAFF = {
    "general_operator": "operator",
    "travel_operator": "travel",
    "sellers_operator": "sellers",
    "backoffice": "backoffice",
    "supervisor": "supervisor",
    "admin": "admin",
}
STAFF_READS = {
    "general_operator": {"general"},
    "travel_operator": {"travel_priority"},
    "sellers_operator": {"seller"},
    "backoffice": set(),  # no lines
    "supervisor": set(LINES),
    "admin": set(LINES),
}
CUSTOMERS = ("customer_owner", "other_customer", "visitor_owner", "other_visitor")
ROLES = (*STAFF, *CUSTOMERS)
ACTIONS = (
    "read",
    "messages",
    "attachment",
    "note",
    "reply",
    "take",
    "transfer",
    "resolve",
    "close",
    "socket_subscribe",
    "socket_replay",
)
NOT_FOUND = (404, "conversation_not_found")


def reads(role: str, line: str) -> bool:
    if role in STAFF:
        return line in STAFF_READS[role]
    return role in ("customer_owner", "visitor_owner")


def expected(role: str, line: str, action: str) -> tuple[int, str | None]:
    """(status, error code or None) for a queued, unassigned conversation of ``line``."""
    can = reads(role, line)
    customer = role in CUSTOMERS
    if action in ("read", "messages"):
        return (200, None) if can else NOT_FOUND
    if action == "attachment":
        return (200, None) if can else (404, "attachment_not_found")
    if action == "note":
        if customer:
            return 403, "notes_staff_only"
        if role == "backoffice":
            return 403, None  # no chat role: refused before the conversation is looked at
        return (201, None) if can else NOT_FOUND
    if action == "reply":
        if role == "backoffice":
            return 403, None
        if not can:
            return NOT_FOUND
        if role in ("supervisor", "admin") or customer:
            return 201, None
        return 403, "not_assigned"  # a line operator must take the conversation first
    if action in ("take", "transfer", "resolve"):
        if customer or role == "backoffice":
            return 403, None  # staff with a chat role only, whatever the conversation
        if not can:
            return NOT_FOUND
        if action == "take":
            return (409, "at_capacity") if role == "admin" else (200, None)  # admin: 0 chats
        return (200, None) if role in ("supervisor", "admin") else (403, "not_assigned")
    if action == "close":
        return (200, None) if can else NOT_FOUND
    raise AssertionError(action)


@dataclass
class World:
    env: ChatEnv
    tokens: dict[str, str] = field(default_factory=dict)
    shared: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def owner(self, role: str) -> str:
        return "visitor_owner" if role in ("visitor_owner", "other_visitor") else "customer_owner"

    def queued(self, owner: str, line: str) -> int:
        """A queued, unassigned conversation of ``owner`` on ``line`` (moved there by the
        supervisor: a visitor's conversation starts on the general line)."""
        env, token = self.env, self.tokens[owner]
        cid = int(env.conversation(token)["id"])
        assert env.post(token, f"/api/v1/conversations/{cid}/handoff").status_code == 200
        if line != "general":
            moved = env.post(
                self.tokens["supervisor"],
                f"/api/v1/conversations/{cid}/transfer",
                {"to_line": line},
            )
            assert moved.status_code == 200, moved.text
            assert moved.json()["status"] == "queued"
        return cid

    def readable(self, owner: str, line: str) -> tuple[int, int]:
        """A conversation for the reading actions (nothing changes it): id, attachment id."""
        key = (owner, line)
        if key not in self.shared:
            cid = self.queued(owner, line)
            uploaded = self.env.client.post(
                f"/api/v1/conversations/{cid}/attachments",
                files={"file": ("скрин.png", PNG, "application/octet-stream")},
                data={"client_msg_id": uuid.uuid4().hex, "text": "Вот скриншот"},
                headers=auth(self.tokens[owner]),
            )
            assert uploaded.status_code == 201, uploaded.text
            self.shared[key] = (cid, int(uploaded.json()["attachments"][0]["id"]))
        return self.shared[key]


@pytest.fixture(scope="module", params=backends())
def world(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[World]:
    for env in _env(make_database, request.param):
        world = World(env)
        for role, login in STAFF.items():
            response = env.client.post(
                "/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            world.tokens[role] = response.json()["token"]
        world.tokens["customer_owner"] = env.customer()[1]
        world.tokens["other_customer"] = env.customer()[1]
        world.tokens["visitor_owner"] = env.visitor()
        world.tokens["other_visitor"] = env.visitor()
        yield world


def _socket_error(ws: Any) -> dict[str, Any]:
    frame = ws.receive_json()
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 1008
    return dict(frame)


def _frames_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    frames = []
    for _ in range(50):
        frame = ws.receive_json()
        if frame["type"] == "ping":
            continue
        frames.append(frame)
        if done(frame):
            return frames
    raise AssertionError(frames)


def _act(world: World, role: str, line: str, action: str) -> tuple[int, str | None]:
    env, token = world.env, world.tokens[role]
    owner = world.owner(role)
    if action in ("take", "transfer", "resolve", "close"):
        cid = world.queued(owner, line)  # a conversation of its own: these change it
        body = {"to_line": "seller" if line == "general" else "general"}
        response = env.post(
            token, f"/api/v1/conversations/{cid}/{action}", body if action == "transfer" else None
        )
    else:
        cid, attachment_id = world.readable(owner, line)
        if action == "read":
            response = env.client.get(f"/api/v1/conversations/{cid}", headers=auth(token))
        elif action == "messages":
            response = env.client.get(f"/api/v1/conversations/{cid}/messages", headers=auth(token))
        elif action == "attachment":
            response = env.client.get(f"/api/v1/attachments/{attachment_id}", headers=auth(token))
        elif action in ("note", "reply"):
            response = env.send(token, cid, "Проверяем заказ.", private=action == "note")
        else:
            raise AssertionError(action)
    code = response.json()["error"]["code"] if response.status_code >= 400 else None
    if response.status_code == 404:
        # exactly the answer a missing one gets
        missing = (
            env.client.get("/api/v1/attachments/999999999", headers=auth(token))
            if action == "attachment"
            else env.client.get("/api/v1/conversations/999999999", headers=auth(token))
        )
        assert response.json()["error"]["message"].replace(str(cid), "N") == missing.json()[
            "error"
        ]["message"].replace("999999999", "N")
    return response.status_code, code


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world: World, role: str, line: str, action: str) -> None:
    if action == "socket_subscribe":
        _socket_subscribe(world, role, line)
        return
    if action == "socket_replay":
        _socket_replay(world, role, line)
        return
    status, code = _act(world, role, line, action)
    want_status, want_code = expected(role, line, action)
    assert status == want_status, (role, line, action, code)
    if want_code is not None:
        assert code == want_code


def _socket_subscribe(world: World, role: str, line: str) -> None:
    cid, _ = world.readable(world.owner(role), line)
    with world.env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": world.tokens[role]})
        if reads(role, line):
            ready = ws.receive_json()
            assert ready["type"] == "ready"
            replay = _frames_until(ws, lambda f: f["type"] == "message")
            assert replay[-1]["message"]["conversation_id"] == cid
        else:
            assert _socket_error(ws)["code"] == "conversation_not_found"


def _socket_replay(world: World, role: str, line: str) -> None:
    cid, _ = world.readable(world.owner(role), line)
    with world.env.client.websocket_connect("/ws/operator") as ws:
        ws.send_json({"type": "auth", "token": world.tokens[role], "last_seqs": {str(cid): 0}})
        if role in CUSTOMERS:
            assert _socket_error(ws)["code"] == "forbidden"
            return
        assert ws.receive_json()["type"] == "ready"
        frames = _frames_until(ws, lambda f: f["type"] in ("message", "error"))
        if reads(role, line):
            assert frames[-1]["type"] == "message"
            assert frames[-1]["message"]["conversation_id"] == cid
        else:
            assert frames[-1]["type"] == "error"
            assert (frames[-1]["code"], frames[-1]["conversation_id"]) == (
                "conversation_not_found",
                cid,
            )


# --------------------------------------------------------------------------- history


def test_the_previous_assignee_keeps_read_access_after_a_transfer(world: World) -> None:
    env = world.env
    general_id, general = env.operator(lines=("general",))
    _, other_general = env.operator(lines=("general",))
    _, seller = env.operator(lines=("seller",))
    cid = world.queued("customer_owner", "general")
    assert env.post(general, f"/api/v1/conversations/{cid}/take").status_code == 200
    assert env.send(general, cid, "Сейчас посмотрю.").status_code == 201
    moved = env.post(general, f"/api/v1/conversations/{cid}/transfer", {"to_line": "seller"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["line"] == "seller"
    # the one it was transferred from still reads it, over REST and sockets
    assert env.get(general, cid)["line"] == "seller"
    assert [m["text"] for m in env.messages(general, cid)].count("Сейчас посмотрю.") == 1
    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": general})
        assert ws.receive_json()["type"] == "ready"
    # its new line reads it; an operator of the old line who never had it does not
    assert env.client.get(f"/api/v1/conversations/{cid}", headers=auth(seller)).status_code == 200
    response = env.client.get(f"/api/v1/conversations/{cid}", headers=auth(other_general))
    assert (response.status_code, response.json()["error"]["code"]) == NOT_FOUND
    # and the reading gives no right to act for the former assignee but notes
    note = env.send(general, cid, "Передала продавцам.", private=True)
    assert note.status_code == 201
    taken = env.post(general, f"/api/v1/conversations/{cid}/take")
    assert_error(taken, 403, "wrong_line")
    assert general_id != 0


def test_an_operator_transferred_to_keeps_access_after_another_transfer(world: World) -> None:
    env = world.env
    first_id, first = env.operator(lines=("travel_priority",))
    second_id, second = env.operator(lines=("travel_priority",))
    cid = world.queued("customer_owner", "travel_priority")
    assert env.post(first, f"/api/v1/conversations/{cid}/take").status_code == 200
    handed = env.post(first, f"/api/v1/conversations/{cid}/transfer", {"to_operator_id": second_id})
    assert handed.status_code == 200, handed.text
    assert handed.json()["assigned_operator_id"] == second_id
    moved = env.post(second, f"/api/v1/conversations/{cid}/transfer", {"to_line": "general"})
    assert moved.status_code == 200
    for token in (first, second):
        assert env.get(token, cid)["line"] == "general"
    assert first_id != second_id


# --------------------------------------------------------------------------- live events


def test_live_events_stop_when_a_conversation_leaves_the_operators_line(world: World) -> None:
    env = world.env
    _, watcher = env.operator(lines=("general",))
    cid = world.queued("customer_owner", "general")
    with (
        env.client.websocket_connect("/ws/operator") as staff,
        env.client.websocket_connect(f"/ws/conversations/{cid}") as conversation,
    ):
        staff.send_json({"type": "auth", "token": watcher})
        assert staff.receive_json()["type"] == "ready"
        conversation.send_json({"type": "auth", "token": watcher})
        assert conversation.receive_json()["type"] == "ready"
        _frames_until(conversation, lambda f: f["type"] == "message")  # the replay
        moved = env.post(
            world.tokens["supervisor"],
            f"/api/v1/conversations/{cid}/transfer",
            {"to_line": "travel_priority"},
        )
        assert moved.status_code == 200
        # the operator socket is told to re-read its lists, and nothing of the conversation
        frames = _frames_until(staff, lambda f: f["type"] in ("resync", "conversation"))
        assert frames[-1] == {"type": "resync"}
        assert all(
            cid not in (f.get("conversation_id"), f.get("conversation", {}).get("id"))
            for f in frames
        )
        # the conversation socket closes, as for a conversation that does not exist
        frames = _frames_until(conversation, lambda f: f["type"] in ("error", "conversation"))
        assert frames[-1]["type"] == "error"
        assert not any(f["type"] == "message" for f in frames)  # not even the transfer notice
        assert frames[-1]["code"] == "conversation_not_found"
        with pytest.raises(WebSocketDisconnect) as closed:
            conversation.receive_json()
        assert closed.value.code == 1008
