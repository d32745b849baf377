"""A conversation opened with its first message (``POST /api/v1/conversations`` with
``first_message``): the widget's first question in one request, the bot's answer in the
same answer; a retry is answered as stored before; a refused message leaves nothing. And a
new visitor's first question with the visitor itself (``POST /api/v1/visitors`` with
``conversation``), all in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marketdesk.server import create_app
from marketdesk.store.models import Conversation, Session, Visitor
from marketdesk.store.transactions import sqlite_write_lock
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

QUESTION = "Как активировать подарочный сертификат?"


def _open(
    env: ChatEnv, token: str, text: str, client_msg_id: str | None = None, **body: Any
) -> Any:
    first = {"client_msg_id": client_msg_id or uuid.uuid4().hex, "text": text}
    return env.client.post(
        "/api/v1/conversations",
        json={"line": "general", **body, "first_message": first},
        headers=auth(token),
    )


def _mine(env: ChatEnv, token: str) -> list[dict[str, Any]]:
    response = env.client.get("/api/v1/conversations", headers=auth(token))
    assert response.status_code == 200, response.text
    return list(response.json()["conversations"])


def test_the_conversation_opens_with_the_message_and_the_bots_answer(env: ChatEnv) -> None:
    token = env.visitor()
    response = _open(env, token, QUESTION, client_msg_id="first-1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "bot"
    assert body["topic"] == "certificate_activation"  # the conversation after the answer
    assert body["last_seq"] == 2
    sent = body["first_message"]
    assert (sent["seq"], sent["sender_kind"], sent["client_msg_id"]) == (1, "visitor", "first-1")
    assert sent["conversation_id"] == body["id"]
    assert sent["duplicate"] is False
    [reply] = sent["replies"]
    assert (reply["seq"], reply["sender_kind"]) == (2, "bot")
    assert reply["bot"]["topic"] == "certificate_activation"
    # what GET shows is what the answer said
    messages = env.messages(token, body["id"])
    assert [(m["seq"], m["sender_kind"], m["text"]) for m in messages] == [
        (1, "visitor", QUESTION),
        (2, "bot", reply["text"]),
    ]
    assert env.get(token, body["id"])["last_seq"] == 2


def test_a_retry_of_the_request_makes_no_second_conversation(env: ChatEnv) -> None:
    token = env.visitor()
    first = _open(env, token, QUESTION, client_msg_id="retry-open")
    again = _open(env, token, QUESTION, client_msg_id="retry-open")
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["first_message"]["duplicate"] is True
    assert again.json()["first_message"]["id"] == first.json()["first_message"]["id"]
    assert [c["id"] for c in _mine(env, token)] == [first.json()["id"]]
    senders = [m["sender_kind"] for m in env.messages(token, first.json()["id"])]
    assert senders == ["visitor", "bot"]


def test_a_refused_first_message_leaves_no_conversation(env: ChatEnv) -> None:
    token = env.visitor()
    for text, code in (("   ", "message_empty"), ("я" * 4001, "message_too_long")):
        assert_error(_open(env, token, text), 422, code)
    extra = env.client.post(
        "/api/v1/conversations",
        json={"line": "general", "first_message": {"client_msg_id": "x", "text": "а", "to": 1}},
        headers=auth(token),
    )
    assert extra.status_code == 422
    assert _mine(env, token) == []
    ok = _open(env, token, "я" * 4000)
    assert ok.status_code == 201, ok.text
    assert ok.json()["first_message"]["seq"] == 1


def test_with_the_open_conversations_at_their_limit_the_message_goes_to_the_latest(
    env: ChatEnv,
) -> None:
    app = create_app(env.db.settings(open_conversations_per_line=2))
    with TestClient(app, raise_server_exceptions=False) as client:
        tight = ChatEnv(env.db, client)
        token = tight.visitor()
        opened = [tight.conversation(token)["id"] for _ in range(2)]
        response = _open(tight, token, QUESTION, client_msg_id="to-the-latest")
        assert response.status_code == 200, response.text
        assert response.json()["id"] == opened[-1]
        assert response.json()["first_message"]["conversation_id"] == opened[-1]
        assert response.json()["first_message"]["replies"][0]["sender_kind"] == "bot"
        assert sorted(c["id"] for c in _mine(tight, token)) == sorted(opened)
        [first, _] = tight.messages(token, opened[-1])
        assert first["client_msg_id"] == "to-the-latest"


def test_the_seller_line_opens_with_its_ticket_note_then_the_message(env: ChatEnv) -> None:
    token = env.visitor()
    response = _open(
        env,
        token,
        "Не вижу отчёт за ноябрь",
        seller_topic="Финансы",
        seller_subtopic="Финансовые отчёты",
        line="seller",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ticket_number"].startswith("S-")
    messages = env.messages(token, body["id"])
    assert messages[0]["sender_kind"] == "system"
    assert body["ticket_number"] in messages[0]["text"]
    assert (messages[1]["sender_kind"], messages[1]["text"]) == (
        "visitor",
        "Не вижу отчёт за ноябрь",
    )
    assert body["first_message"]["seq"] == messages[1]["seq"]


def test_an_operator_opens_no_conversation_with_a_message(env: ChatEnv) -> None:
    _, operator = env.operator()
    assert _open(env, operator, QUESTION).status_code == 403
    assert _mine(env, operator) == []


# ------------------------------------------------------------------ a new visitor's question
# The widget's very first question: the visitor, its conversation, the message and the bot's
# answer in one request (``POST /api/v1/visitors`` with ``conversation``), one transaction.


def _arrive(env: ChatEnv, conversation: dict[str, Any] | None) -> Any:
    body = {} if conversation is None else {"conversation": conversation}
    return env.client.post("/api/v1/visitors", json=body)


def _counts(env: ChatEnv) -> tuple[int, int, int]:
    async def work(session: Any) -> tuple[int, int, int]:
        return (
            int(await session.scalar(select(func.count()).select_from(Visitor))),
            int(await session.scalar(select(func.count()).select_from(Conversation))),
            int(await session.scalar(select(func.count()).select_from(Session))),
        )

    return tuple(env.run(work))  # type: ignore[return-value]


def test_a_new_visitor_opens_its_conversation_with_its_question_in_one_request(
    env: ChatEnv,
) -> None:
    first = {"client_msg_id": "arrive-1", "text": QUESTION}
    response = _arrive(env, {"line": "general", "first_message": first})
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["token"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] >= 7 * 24 * 3600
    opened = body["conversation"]
    assert (opened["status"], opened["topic"], opened["last_seq"]) == (
        "bot",
        "certificate_activation",
        2,
    )
    sent = opened["first_message"]
    assert (sent["seq"], sent["sender_kind"], sent["client_msg_id"]) == (1, "visitor", "arrive-1")
    [reply] = sent["replies"]
    assert (reply["seq"], reply["sender_kind"]) == (2, "bot")
    # the token is the conversation's visitor's: it reads it, and a retry of the message
    # with that token is answered as stored
    assert [c["id"] for c in _mine(env, token)] == [opened["id"]]
    assert [(m["seq"], m["text"]) for m in env.messages(token, opened["id"])] == [
        (1, QUESTION),
        (2, reply["text"]),
    ]
    again = _open(env, token, QUESTION, client_msg_id="arrive-1")
    assert again.status_code == 200, again.text
    assert again.json()["first_message"]["duplicate"] is True
    # another visitor does not see it
    assert env.client.get(
        f"/api/v1/conversations/{opened['id']}", headers=auth(env.visitor())
    ).status_code in (403, 404)


def test_a_new_visitor_may_open_its_conversation_without_a_message(env: ChatEnv) -> None:
    response = _arrive(
        env, {"line": "seller", "seller_topic": "Финансы", "seller_subtopic": "Финансовые отчёты"}
    )
    assert response.status_code == 201, response.text
    opened = response.json()["conversation"]
    assert opened["ticket_number"].startswith("S-")
    assert "first_message" not in opened
    messages = env.messages(response.json()["token"], opened["id"])
    assert [m["sender_kind"] for m in messages] == ["system"]


def test_a_visitor_alone_is_made_as_before(env: ChatEnv) -> None:
    for made in (env.client.post("/api/v1/visitors"), _arrive(env, None)):
        assert made.status_code == 201, made.text
        assert made.json().get("conversation") is None
        assert _mine(env, made.json()["token"]) == []


def test_a_refused_opening_leaves_no_visitor_behind(env: ChatEnv) -> None:
    before = _counts(env)
    refusals = [
        (
            {"line": "general", "first_message": {"client_msg_id": "e", "text": "  "}},
            "message_empty",
        ),
        (
            {"line": "seller", "first_message": {"client_msg_id": "s", "text": "а"}},
            "seller_topic_required",
        ),
    ]
    for conversation, code in refusals:
        assert_error(_arrive(env, conversation), 422, code)
    assert _arrive(env, {"line": "general", "to": 1}).status_code == 422
    assert env.client.post("/api/v1/visitors", json={"conversation": {}, "x": 1}).status_code == 422
    assert _counts(env) == before


def test_a_new_conversations_numbers_run_on_after_a_handoff_in_its_first_request(
    env: ChatEnv,
) -> None:
    """A conversation made in the request is numbered in memory until the commit: whatever
    the bot does in that transaction (here it hands over at once), the numbers have no gap,
    ``last_seq`` is the last of them, and the next message takes the next number."""
    first = {"client_msg_id": "handoff-1", "text": "позовите оператора"}
    response = _arrive(env, {"line": "general", "first_message": first})
    assert response.status_code == 201, response.text
    token, opened = response.json()["token"], response.json()["conversation"]
    assert opened["status"] == "queued"
    messages = env.messages(token, opened["id"])
    seqs = [m["seq"] for m in messages]
    assert seqs == list(range(1, len(seqs) + 1))
    assert env.get(token, opened["id"])["last_seq"] == seqs[-1] == opened["last_seq"]
    more = env.send(token, opened["id"], "я подожду")
    assert more.status_code == 201, more.text
    assert more.json()["seq"] == seqs[-1] + 1


def test_the_bot_reads_the_first_question_before_the_write_lock_is_taken(
    env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot's reading of a first question (the articles' search: most of its turn) is
    worked out before the request takes SQLite's write lock, which is then held for the
    dialogue only; the answer is the one the reading gives."""
    app: Any = env.client.app
    bot, lock = app.state.bot, sqlite_write_lock(app.state.database.engine)
    seen: list[bool | None] = []
    read = bot.read

    def watched(text: str, **kwargs: Any) -> Any:
        seen.append(lock.locked() if lock is not None else None)
        return read(text, **kwargs)

    monkeypatch.setattr(bot, "read", watched)
    first = {"client_msg_id": uuid.uuid4().hex, "text": QUESTION}
    arrived = _arrive(env, {"line": "general", "first_message": first})
    assert arrived.status_code == 201, arrived.text
    opened = _open(env, env.visitor(), QUESTION)
    assert opened.status_code == 201, opened.text
    expected = None if lock is None else False
    assert seen == [expected, expected]
    for reply in (
        arrived.json()["conversation"]["first_message"]["replies"][0],
        opened.json()["first_message"]["replies"][0],
    ):
        assert reply["bot"]["topic"] == "certificate_activation"
