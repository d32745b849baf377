"""How a message's change of the SLA clocks reaches the staff (decision 0005): on the
message's own event to the assigned operator, as a ``conversation`` event to the line's queue
while nobody holds the conversation, never to the customer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from marketdesk.server import create_app
from marketdesk.services import chat
from marketdesk.store.models import Conversation
from tests.chat.conftest import ChatEnv
from tests.conftest import TestDatabase, backends, prepare


@pytest.fixture(scope="module", params=backends())
def env(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChatEnv]:
    db = make_database(request.param)
    prepare(db.url)
    app = create_app(db.settings(sla_chat_interval_seconds=3600))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ChatEnv(db, client)


def _next(ws: Any, *kinds: str) -> dict[str, Any]:
    """The next frame of one of ``kinds`` (heartbeats skipped)."""
    for _ in range(20):
        frame = dict(ws.receive_json())
        if frame["type"] in kinds:
            return frame
    raise AssertionError(f"no {kinds} frame")


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def test_a_queued_conversations_clock_goes_to_the_line_as_a_conversation_event(
    env: ChatEnv,
) -> None:
    """Nobody holds it: messages do not go to the line, so the change goes on its own."""
    _, watcher = env.operator()  # serves the line, not available: nothing is assigned
    token = env.visitor()
    cid = int(env.conversation(token)["id"])
    assert env.post(token, f"/api/v1/conversations/{cid}/handoff").status_code == 200

    async def answered_before(session: Any) -> None:  # a person answered, then it was requeued
        await session.execute(
            update(Conversation)
            .where(Conversation.id == cid)
            .values(first_response_at=datetime.now(UTC), first_response_due_at=None)
        )
        await session.commit()

    env.run(answered_before)
    with env.client.websocket_connect("/ws/operator") as ws:
        ws.send_json({"type": "auth", "token": watcher})
        assert _next(ws, "ready")["type"] == "ready"
        assert env.send(token, cid, "Ответьте, пожалуйста").status_code == 201
        frame = _next(ws, "conversation")
    view = frame["conversation"]
    assert (view["id"], view["status"], view["assigned_operator_id"]) == (cid, "queued", None)
    assert view["next_response_due_at"] is not None
    assert view["sla_kind"] == "next_response"


def test_a_clock_change_rides_on_the_message_to_the_operator_only(env: ChatEnv) -> None:
    token = env.visitor()
    operator_id, operator = env.operator(available=True, capacity=50)
    cid = int(env.conversation(token)["id"])
    assert env.post(token, f"/api/v1/conversations/{cid}/handoff").status_code == 200
    assert env.get(operator, cid)["assigned_operator_id"] == operator_id
    last_seq = int(env.get(token, cid)["last_seq"])
    with (
        env.client.websocket_connect("/ws/operator") as staff,
        env.client.websocket_connect(f"/ws/conversations/{cid}") as customer,
    ):
        staff.send_json({"type": "auth", "token": operator})
        assert _next(staff, "ready")["type"] == "ready"
        customer.send_json({"type": "auth", "token": token, "last_seq": last_seq})
        assert _next(customer, "ready")["type"] == "ready"

        # the first reply stops the first-response clock
        assert env.send(operator, cid, "Здравствуйте!").status_code == 201
        frame = _next(staff, "message", "conversation")
        assert frame["type"] == "message", frame  # one frame, not a second event
        view = frame["conversation"]
        assert view["id"] == cid and view["last_seq"] == frame["message"]["seq"]
        assert view["first_response_at"] is not None and view["first_response_due_at"] is None
        assert view["sla_kind"] == "resolution"

        # the customer's next message starts the next-response clock
        assert env.send(token, cid, "Спасибо, жду").status_code == 201
        frame = _next(staff, "message", "conversation")
        assert frame["type"] == "message", frame
        due = _at(frame["conversation"]["next_response_due_at"])
        assert due is not None
        assert timedelta(minutes=9) < due - datetime.now(UTC) <= timedelta(minutes=10)
        assert frame["conversation"]["sla_kind"] == "next_response"

        # a private note changes no clock: the message alone
        assert env.send(operator, cid, "проверю", private=True).status_code == 201
        frame = _next(staff, "message", "conversation")
        assert frame["type"] == "message" and "conversation" not in frame

        # the customer saw the reply and their own message, never the staff's view
        for _ in range(2):
            seen = _next(customer, "message", "conversation")
            assert seen["type"] == "message" and set(seen) == {"type", "message"}
    # the private note stopped nothing: the clock the event announced is the stored one
    assert _at(env.get(operator, cid)["next_response_due_at"]) == due


def test_the_message_event_with_its_conversation_is_the_protocols_model(env: ChatEnv) -> None:
    token = env.visitor()
    cid = int(env.conversation(token)["id"])

    async def event(session: Any) -> dict[str, Any]:
        conversation = await session.get(Conversation, cid)
        view = chat.MessageView(
            id=1,
            conversation_id=cid,
            seq=1,
            sender_kind="operator",
            sender_name="Оператор",
            client_msg_id="m-1",
            text="Здравствуйте!",
            private=False,
            created_at=datetime.now(UTC),
        )
        return chat.events.message_event(view, conversation)

    published = env.run(event)
    model = chat.events.MessageStored.model_validate(published)
    assert model.model_dump(mode="json") == published
    assert published["conversation"]["id"] == cid
    plain = chat.events.message_event(chat.MessageView.model_validate(published["message"]))
    assert plain["conversation"] is None
    assert chat.events.MessageStored.model_validate(plain).model_dump(mode="json") == plain
