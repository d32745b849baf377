"""The pure rules of the webhooks (``domain.webhooks``): signing by the Standard Webhooks
spec, the secret's form, the event names, the URL check."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from marketdesk.domain.webhooks import (
    EVENT_TITLES_RU,
    UnknownEvents,
    WebhookEvent,
    encode_secret,
    parse_events,
    secret_key,
    sign,
    signature_headers,
    url_problem,
)

# the example of the spec's reference libraries
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = '{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_spec_example() -> None:
    assert sign(secret_key(SECRET), MSG_ID, TIMESTAMP, PAYLOAD) == EXPECTED


@pytest.mark.parametrize("body", ["{}", '{"type":"task.created","data":{"title":"Вес"}}'])
def test_the_reference_library_agrees(body: str) -> None:
    key = bytes(range(32))
    secret = encode_secret(key)
    when = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    ours = sign(key, "msg_1", int(when.timestamp()), body)
    assert ours == Webhook(secret).sign("msg_1", when, body)
    headers = signature_headers(key, "msg_1", int(datetime.now(UTC).timestamp()), body)
    assert Webhook(secret).verify(body, headers, json_parse=False) is None


def test_the_secret_is_whsec_and_base64() -> None:
    key = b"\xff" * 32
    secret = encode_secret(key)
    assert secret.startswith("whsec_") and base64.b64decode(secret[6:]) == key
    assert secret_key(secret) == key
    with pytest.raises(ValueError):
        secret_key("whsec_not base64!")


def test_event_names() -> None:
    assert [e.value for e in WebhookEvent] == [
        "conversation.created",
        "conversation.resolved",
        "message.created",
        "task.created",
        "task.changed",
        "rating.created",
        "certificate.activated",
        "withdrawal.created",
        "return.created",
    ]
    assert set(EVENT_TITLES_RU) == set(WebhookEvent)
    assert parse_events(["task.created", "conversation.created", "task.created"]) == (
        WebhookEvent.CONVERSATION_CREATED,
        WebhookEvent.TASK_CREATED,
    )
    with pytest.raises(UnknownEvents) as caught:
        parse_events(["task.created", "task.deleted"])
    assert caught.value.names == ("task.deleted",)
    with pytest.raises(UnknownEvents):
        parse_events([])


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://crm.example.org/hooks/marketdesk", True),
        ("http://127.0.0.1:8080/hook?x=1", True),
        ("HTTPS://EXAMPLE.ORG/", True),
        ("ftp://example.org/", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("https://user@example.org/", False),
        ("https://:secret@example.org/", False),
        ("https:///path", False),
        ("https://example.org:99999999/", False),
        ("https://example.org/\nHost: evil", False),
        ("https://example.org/" + "a" * 2000, False),
    ],
)
def test_url_rule(url: str, ok: bool) -> None:
    problem = url_problem(url)
    assert (problem is None) is ok, problem
    if not ok:
        assert problem and problem[0].islower()  # a clause of the Russian message
