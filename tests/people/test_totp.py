"""The operators' second factor (issue 16): enrol with a secret shown once, confirm with a
code, then the login needs the code; a missing or wrong code is a clear Russian refusal with
a stable code; wrong codes are rate-limited like passwords; an admin resets the factor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from marketdesk.domain import totp as rules
from marketdesk.server import create_app
from tests.conftest import auth
from tests.errors import assert_error
from tests.people.conftest import login


def enrol(client: Any, token: str) -> pyotp.TOTP:
    """Turn the second factor on for the token's operator → their TOTP generator."""
    started = client.post("/api/v1/auth/totp", headers=auth(token))
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["uri"].startswith("otpauth://totp/") and body["secret"] in body["uri"]
    totp = pyotp.TOTP(body["secret"])
    confirmed = client.post(
        "/api/v1/auth/totp/confirm", json={"code": totp.now()}, headers=auth(token)
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"enabled": True, "pending": False}
    return totp


def later_code(totp: pyotp.TOTP) -> str:
    """A code of the next 30-second step: accepted (one step of drift) and never the one
    just used to confirm."""
    return totp.at(time.time() + rules.STEP_SECONDS)


def test_codes_are_checked_with_drift_and_never_twice() -> None:
    secret = rules.new_secret()
    totp = pyotp.TOTP(secret)
    now = datetime(2027, 3, 1, 9, 0, 15, tzinfo=UTC)
    step = int(now.timestamp()) // rules.STEP_SECONDS
    code = totp.at(now)
    assert rules.accepted_step(secret, code, now, None) == step
    assert rules.accepted_step(secret, code[:3] + " " + code[3:], now, None) == step
    assert rules.accepted_step(secret, code, now, step) is None  # replayed
    previous = totp.at(now.timestamp() - 30)
    assert rules.accepted_step(secret, previous, now, None) == step - 1
    assert rules.accepted_step(secret, totp.at(now.timestamp() - 90), now, None) is None
    assert rules.accepted_step(secret, "12345", now, None) is None
    assert rules.accepted_step(secret, "абвгде", now, None) is None


def test_enrol_then_the_login_needs_the_code(client, tokens, new_staff):
    made = new_staff()
    token = login(client, made["login"]).json()["token"]
    assert client.get("/api/v1/auth/totp", headers=auth(token)).json() == {
        "enabled": False,
        "pending": False,
    }
    totp = enrol(client, token)
    assert_error(login(client, made["login"]), 401, "totp_required")
    assert_error(login(client, made["login"], totp_code="000000"), 401, "totp_invalid")
    code = later_code(totp)
    ok = login(client, made["login"], totp_code=code)
    assert ok.status_code == 200, ok.text
    assert client.get("/api/v1/auth/me", headers=auth(ok.json()["token"])).status_code == 200
    # the same code again is refused (no replay)
    assert_error(login(client, made["login"], totp_code=code), 401, "totp_invalid")
    # a wrong password with the factor on says nothing about the code
    assert_error(
        login(client, made["login"], "wrong-password-x", totp_code=code),
        401,
        "invalid_credentials",
    )
    staff = client.get("/api/v1/operators/staff", headers=auth(tokens["admin"])).json()
    assert next(o for o in staff["operators"] if o["id"] == made["id"])["totp_enabled"]


def test_enrolment_refusals(client, new_staff):
    token = login(client, new_staff()["login"]).json()["token"]
    assert_error(
        client.post("/api/v1/auth/totp/confirm", json={"code": "123456"}, headers=auth(token)),
        409,
        "totp_not_started",
    )
    secret = client.post("/api/v1/auth/totp", headers=auth(token)).json()["secret"]
    assert client.get("/api/v1/auth/totp", headers=auth(token)).json()["pending"] is True
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert_error(
        client.post("/api/v1/auth/totp/confirm", json={"code": wrong}, headers=auth(token)),
        422,
        "totp_confirm_invalid",
    )
    confirm = {"code": pyotp.TOTP(secret).now()}
    assert client.post("/api/v1/auth/totp/confirm", json=confirm, headers=auth(token)).is_success
    assert_error(client.post("/api/v1/auth/totp", headers=auth(token)), 409, "totp_already_enabled")


def test_an_admin_resets_the_factor(client, tokens, new_staff):
    made = new_staff()
    enrol(client, login(client, made["login"]).json()["token"])
    assert_error(login(client, made["login"]), 401, "totp_required")
    reset = client.delete(f"/api/v1/operators/{made['id']}/totp", headers=auth(tokens["admin"]))
    assert reset.status_code == 204
    assert login(client, made["login"]).status_code == 200
    entries = client.get(
        f"/api/v1/audit?entity=operator:{made['id']}&limit=50", headers=auth(tokens["admin"])
    ).json()["entries"]
    assert {"operator.totp_started", "operator.totp_enabled", "operator.totp_reset"} <= {
        e["action"] for e in entries
    }


@pytest.fixture
def limited(demo_db) -> Iterator[TestClient]:
    """An app with the real login limits (5 failures per login, then a lockout)."""
    app = create_app(demo_db.settings(rate_limit_scale=1.0))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_wrong_codes_are_rate_limited_like_passwords(limited, new_staff):
    made = new_staff()
    totp = enrol(limited, login(limited, made["login"]).json()["token"])
    refusals = [login(limited, made["login"], totp_code="000000") for _ in range(8)]
    codes = [r.json()["error"]["code"] for r in refusals]
    assert codes[0] == "totp_invalid"
    assert "rate_limited" in codes
    locked = next(r for r in refusals if r.json()["error"]["code"] == "rate_limited")
    assert int(locked.headers["Retry-After"]) > 0
    # even the right code waits for the lockout
    assert_error(login(limited, made["login"], totp_code=later_code(totp)), 429, "rate_limited")


def test_failed_codes_are_audited(client, tokens, new_staff):
    made = new_staff()
    enrol(client, login(client, made["login"]).json()["token"])
    login(client, made["login"], totp_code="000000")
    entries = client.get(
        f"/api/v1/audit?entity=operator:{made['id']}&action=auth.login_failed&limit=10",
        headers=auth(tokens["admin"]),
    ).json()["entries"]
    assert [e["details"]["reason"] for e in entries] == ["wrong_totp"]
