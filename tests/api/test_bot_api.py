"""POST /api/v1/bot/ask: the contract of DESIGN.md over HTTP."""

from __future__ import annotations

import pytest

from tests.errors import assert_error

KEYS = {"action", "topic", "confidence", "answer"}


def ask(client, text):
    response = client.post("/api/v1/bot/ask", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert KEYS <= set(body) <= KEYS | {"suggestions"}
    assert body["answer"].strip()
    assert 0 <= body["confidence"] <= 1
    return body


def test_answer_from_the_knowledge_base(client):
    body = ask(client, "Как активировать подарочный сертификат?")
    assert body["action"] == "answer"
    assert body["topic"] == "certificate_activation"


def test_handoff_keeps_topic_key_as_null(client):
    body = ask(client, "позовите живого человека")
    assert body["action"] == "handoff"
    assert body["topic"] is None


def test_refusal_never_tells_the_count(client):
    body = ask(client, "сколько у меня пересечений с другими аккаунтами по бану купонов")
    assert body["action"] == "refuse"
    assert not any(ch.isdigit() for ch in body["answer"])


@pytest.mark.parametrize(
    # (a NUL is refused before any route: tests/api/test_no_server_errors.py)
    "text",
    ["", "😀😀😀", "<script>alert(1)</script>", "\x07\x1b[31m", "привет hello мир", "я" * 10_000],
)
def test_odd_input_gets_a_sensible_reply(client, text):
    assert ask(client, text)["action"] in {"answer", "handoff", "refuse"}


@pytest.mark.parametrize(
    "body",
    [{}, {"text": 5}, {"text": None}, {"text": "x" * 10_001}, {"text": "a", "extra": 1}, []],
)
def test_malformed_request_is_422(client, body):
    response = client.post("/api/v1/bot/ask", json=body)
    assert_error(response, 422, "validation_error")
