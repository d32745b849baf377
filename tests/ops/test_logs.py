"""Log lines (issue 15, operations): JSON objects with the request id of their request, and
no personal data or secrets in clear — phones, e-mails, one-time codes, tokens, passwords —
after a full flow: a customer's login by phone (code request and verify), an operator's
login and a failing request that carries a phone, an e-mail and a token in its URL."""

from __future__ import annotations

import io
import json
import logging
import random
import re
import string
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketdesk.observability.logs import (
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    logging_config,
    mask,
    mask_every_kind,
)
from marketdesk.observability.requests import REQUEST_ID, sane_request_id
from tests.chat.conftest import ChatEnv, auth
from tests.conftest import DEMO_PASSWORD

EMAIL = "ivan.petrov@example.ru"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("code sent to +79161234567", "79161234567"),
        ("phone 8 (916) 123-45-67 asked", "123-45-67"),
        ("customer +7 916 123 45 67", "123 45 67"),
        ("international +491701234567", "491701234567"),
        ("GET /x?phone=%2B79161234567&email=ivan%40example.ru", "9161234567"),
        ("GET /x?phone=%2B79161234567&email=ivan%40example.ru", "ivan"),
        ("write to ivan.petrov@example.ru please", "ivan.petrov@example.ru"),
        ("Authorization: Bearer abc.DEF-123", "abc.DEF-123"),
        ('{"phone": "+79161234567", "code": "482913"}', "482913"),
        ("verify code=482913&x=1", "482913"),
        ("ваш код: 482913", "482913"),
        ("password=hunter2-secret", "hunter2-secret"),
        ("session 3kP9xQ_v2LmN8rT4wY6zA1bC5dE7fG0hJ", "3kP9xQ_v2LmN8rT4wY6zA1bC5dE7fG0hJ"),
    ],
)
def test_mask_hides_personal_data_and_secrets(text: str, secret: str) -> None:
    masked = mask(text)
    assert secret not in masked
    assert "***" in masked


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/conversations/{conversation_id} 200",
        "escalated overdue tasks: T-000123",
        "chat batch of 12 failed (deadlock), attempt 1",
        "test_login_by_phone_and_code_over_http failed",
    ],
)
def test_mask_leaves_ordinary_lines_alone(text: str) -> None:
    assert mask(text) == text


_PIECES = st.one_of(
    st.text(alphabet="0123456789 -()+.:=/_%@\"'&;,", max_size=12),
    st.text(alphabet=string.ascii_letters + string.digits + "_-", max_size=30),
    st.text(alphabet="абвгдекодпарольКОДПАРОЛЬ ", max_size=10),
    st.sampled_from(
        [
            "Bearer ",
            "BASIC ",
            "Token=",
            "code:",
            "CODE ",
            "password=",
            "Passwd:",
            "secret=",
            "OTP ",
            "PIN=",
            "код ",
            "КОД: ",
            "Пароль=",
            "ſecret=",
            "pİn=",
            "\u212aод",
            "%40",
            "%2B7",
            "+7",
            "8 (916) ",
            "+7 916 123 45 67",
            "8(916)123-45-67",
            "a1" * 12,  # a token of 24 characters, the shortest the mask takes
            "Z9_" * 9,
            "123-45-67",
            "@example.ru",
            "ivan.petrov@mail.ru",
        ]
    ),
    st.characters(),
)


@pytest.mark.parametrize(
    "text",
    [
        "customer +7 916 123 45 67",  # no four digits in a row
        "8(916)123-45-67",
        "ſecret=hunter2",  # the long s: found by the masks' ignoring of case
        "pİn=4829",
        "КОД: 4829",
        "session a1a1a1a1a1a1a1a1a1a1a1a1",  # 24 token characters
        "phone=%2B79161234567",
        "mail ivan@example.ru",
        "Authorization: bAsIc dXNlcjpwYXNz",
    ],
)
def test_texts_some_mask_changes_are_not_passed_over(text: str) -> None:
    assert mask(text) == mask_every_kind(text) != text


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_masking_passes_over_only_texts_no_mask_would_change(text: str) -> None:
    """mask() leaves most texts alone after a few searches; whatever the text, it gives
    what every substitution would give."""
    assert mask(text) == mask_every_kind(text)


def test_json_lines_carry_the_request_id_and_mask_extra_fields_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("marketdesk.tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    token = REQUEST_ID.set("req-0000-test")
    try:
        try:
            raise ValueError(f"no customer with {EMAIL}")
        except ValueError:
            logger.exception(
                "lookup of %s failed",
                "+79161234567",
                extra={"who": EMAIL, "color_message": "\x1b[36mfor terminals\x1b[0m"},
            )
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
        logger.propagate = True
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-0000-test"
    assert line["level"] == "ERROR" and line["logger"] == "marketdesk.tests.logs"
    assert "ValueError" in line["exc_info"]
    assert line["who"] == "***" and "color_message" not in line
    text = stream.getvalue()
    assert EMAIL not in text and "79161234567" not in text


def test_text_lines_are_masked_too() -> None:
    record = logging.makeLogRecord(
        {"name": "x", "levelno": 20, "levelname": "INFO", "msg": "sent to %s", "args": (EMAIL,)}
    )
    line = TextFormatter().format(record)
    assert EMAIL not in line and "[-]" in line


def test_the_server_config_has_both_formats() -> None:
    assert logging_config("json")["handlers"]["default"]["formatter"] == "json"
    config = logging_config("text", "debug")
    assert config["loggers"]["marketdesk"]["level"] == "DEBUG"
    assert config["root"]["level"] == "WARNING"  # libraries' debug output stays out


def test_sane_request_ids() -> None:
    assert sane_request_id("req-0000-test") == "req-0000-test"
    for bad in ("short", "has space 123456", "../../etc/passwd", "x" * 65, None):
        assert sane_request_id(bad) is None


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """What the process logs at INFO, through the server's JSON formatter, and (to show that
    the flow did log personal data that had to be masked) through a plain one."""
    masked, raw = io.StringIO(), io.StringIO()
    json_handler = logging.StreamHandler(masked)
    json_handler.setFormatter(JsonFormatter())
    json_handler.addFilter(RequestIdFilter())
    raw_handler = logging.StreamHandler(raw)
    root = logging.getLogger()
    level = root.level
    root.addHandler(json_handler)
    root.addHandler(raw_handler)
    root.setLevel(logging.INFO)
    try:
        yield masked, raw
    finally:
        root.removeHandler(json_handler)
        root.removeHandler(raw_handler)
        root.setLevel(level)


def test_a_full_flow_logs_json_with_request_ids_and_no_personal_data(
    ops: ChatEnv, captured: tuple[io.StringIO, io.StringIO]
) -> None:
    masked, raw = captured
    phone = "+7999" + "".join(random.choices("0123456789", k=7))
    ops.customer(phone=phone)
    client = ops.client

    asked = client.post(
        "/api/v1/auth/phone/code", json={"phone": phone}, headers={"X-Request-ID": "req-code-0001"}
    )
    assert asked.status_code == 200, asked.text
    assert asked.headers["x-request-id"] == "req-code-0001"  # a sane id is kept
    code = ops.sms_code(phone)
    assert code is not None
    verified = client.post("/api/v1/auth/phone/verify", json={"phone": phone, "code": code})
    assert verified.status_code == 200, verified.text
    customer_token = verified.json()["token"]
    login = client.post(
        "/api/v1/auth/login",
        json={"login": "operator", "password": DEMO_PASSWORD},
        headers={"X-Request-ID": "../../etc/passwd"},
    )
    assert login.status_code == 200
    operator_token = login.json()["token"]
    assert login.headers["x-request-id"] != "../../etc/passwd"  # replaced by a fresh one
    uuid.UUID(login.headers["x-request-id"])
    failing = client.get(
        "/api/v1/no-such-route",
        params={"phone": phone, "email": EMAIL, "token": operator_token},
        headers=auth(customer_token),
    )
    assert failing.status_code == 404

    # the flow did log personal data (the client's log of the URL): it had to be masked
    assert phone[2:] in raw.getvalue() and "ivan.petrov" in raw.getvalue()

    lines = [json.loads(line) for line in masked.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    served = {line["request_id"] for line in lines if line["logger"] == "marketdesk.access"}
    for response in (asked, verified, login, failing):
        assert response.headers["x-request-id"] in served
    access = [line for line in lines if line["logger"] == "marketdesk.access"]
    assert any(line["route"] == "unmatched" and line["status"] == 404 for line in access)

    text = masked.getvalue()
    for secret in (phone[2:], "ivan.petrov", customer_token, operator_token):
        assert secret not in text
    assert DEMO_PASSWORD not in text
    assert not re.search(rf"(?<!\d){code}(?!\d)", text)
