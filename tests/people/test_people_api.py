"""The admins' staff API (issue 16, item 4): who may call each route, and what each change
does: a new account logs in, a deactivated one is out at once, a reset password ends the old
sessions, an admin cannot lock the team out; every change is in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.errors import assert_error
from tests.people.conftest import PASSWORD, login

KINDS = ("operator", "backoffice", "supervisor", "admin", "customer", "visitor", "anonymous")
STAFF_KINDS = ("operator", "backoffice", "supervisor", "admin")


def _headers(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {} if who == "anonymous" else auth(tokens[who])


def _expected(who: str, allowed: tuple[str, ...]) -> tuple[int, str | None]:
    if who == "anonymous":
        return 401, "unauthorized"
    if who in allowed:
        return 200, None
    return 403, "forbidden"


def _call(client: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    return client.request(method, path, json=body, headers=headers)


# (method, path, body, the roles allowed, the status of a success)
READS = [
    ("GET", "/api/v1/operators/staff", None, ("supervisor", "admin")),
    ("GET", "/api/v1/calendar?year=2027", None, ("supervisor", "admin")),
    ("GET", "/api/v1/lines", None, ("supervisor", "admin")),
    ("GET", "/api/v1/queues", None, ("supervisor", "admin")),
    ("GET", "/api/v1/auth/totp", None, STAFF_KINDS),
]


@pytest.mark.parametrize("who", KINDS)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), READS)
def test_who_reads_the_structure(client, tokens, who, method, path, body, allowed):
    response = _call(client, method, path, _headers(tokens, who), body)
    status, code = _expected(who, allowed)
    if code is None:
        assert response.status_code == status, response.text
    else:
        assert_error(response, status, code)


def _writes(target: int) -> list[tuple[str, str, Any]]:
    """Admin-only writes; refused calls change nothing (a harmless body for the admin)."""
    return [
        ("POST", "/api/v1/operators", {
            "login": "never-made", "name": "Никто", "password": PASSWORD,
            "roles": ["operator"], "lines": ["general"],
        }),
        ("PATCH", f"/api/v1/operators/{target}", {"capacity": 2}),
        ("POST", f"/api/v1/operators/{target}/password", {"password": PASSWORD}),
        ("DELETE", f"/api/v1/operators/{target}/totp", None),
        ("PUT", "/api/v1/calendar/2031-03-03", {"kind": "holiday", "title": "Проверка"}),
        ("DELETE", "/api/v1/calendar/2031-03-04", None),
        ("PUT", "/api/v1/lines/general", {
            "opens": "09:00", "closes": "18:00", "workdays": [0, 1, 2, 3, 4],
        }),
        ("PUT", "/api/v1/queues/deadline", {
            "queue": "Жалобы", "deadline_minutes": 4320, "business_hours": False,
        }),
    ]  # fmt: skip


@pytest.mark.parametrize("who", [k for k in KINDS if k != "admin"])
def test_only_admins_change_people_and_structure(client, tokens, new_staff, who, clean_calendar):
    target = new_staff()["id"]
    for method, path, body in _writes(target):
        response = _call(client, method, path, _headers(tokens, who), body)
        status, code = _expected(who, ())
        assert_error(response, status, code or "")
    staff = client.get("/api/v1/operators/staff", headers=auth(tokens["admin"])).json()
    assert "never-made" not in {o["login"] for o in staff["operators"]}


def test_admins_may_call_every_write(client, tokens, new_staff, clean_calendar):
    target = new_staff()["id"]
    admin = auth(tokens["admin"])
    results = {}
    for method, path, body in _writes(target):
        if path.endswith("2031-03-04"):  # remove an exception that is there
            assert client.put(path, json={"kind": "workday"}, headers=admin).status_code == 200
        if method == "POST" and path == "/api/v1/operators":
            body = {**body, "login": f"made-{target}"}
        results[(method, path)] = _call(client, method, path, admin, body).status_code
    assert set(results.values()) <= {200, 201, 204}, results


@pytest.mark.parametrize("who", KINDS)
def test_who_ends_an_operators_sessions(client, tokens, new_staff, who):
    target = new_staff()
    response = client.post(
        f"/api/v1/operators/{target['id']}/logout", headers=_headers(tokens, who)
    )
    status, code = _expected(who, ("supervisor", "admin"))
    if code is None:
        assert response.status_code == 200, response.text
        assert response.json() == {"sessions_ended": 0}
    else:
        assert_error(response, status, code)


@pytest.mark.parametrize("who", ["customer", "visitor", "anonymous"])
def test_only_staff_enrol_a_second_factor(client, tokens, who):
    status, code = (401, "unauthorized") if who == "anonymous" else (403, "forbidden")
    headers = _headers(tokens, who)
    assert_error(client.post("/api/v1/auth/totp", headers=headers), status, code)
    assert_error(
        client.post("/api/v1/auth/totp/confirm", json={"code": "123456"}, headers=headers),
        status,
        code,
    )


def test_a_new_operator_logs_in_and_works_their_lines(client, tokens, new_staff):
    made = new_staff(roles=("operator",), lines=("general", "seller"))
    assert made["roles"] == ["operator"] and made["lines"] == ["general", "seller"]
    assert made["active"] is True and made["totp_enabled"] is False
    token = login(client, made["login"]).json()["token"]
    me = client.get("/api/v1/auth/me", headers=auth(token)).json()
    assert (me["name"], me["roles"]) == ("Тестовый Сотрудник", ["operator"])
    colleagues = client.get("/api/v1/operators?line=seller", headers=auth(token)).json()
    assert made["login"] in {o["login"] for o in colleagues["operators"]}


def test_bad_accounts_are_refused_with_their_codes(client, tokens, new_staff):
    admin = auth(tokens["admin"])
    made = new_staff()
    base = {"name": "Имя", "password": PASSWORD, "roles": ["operator"], "lines": []}
    cases = [
        ({**base, "login": made["login"]}, 409, "operator_login_taken"),
        ({**base, "login": "x y"}, 422, "operator_login_invalid"),
        ({**base, "login": "short-pass", "password": "123"}, 422, "password_too_short"),
        ({**base, "login": "bad-role", "roles": ["king"]}, 422, "operator_roles_invalid"),
        ({**base, "login": "bad-line", "lines": ["moon"]}, 422, "invalid_line"),
    ]
    for body, status, code in cases:
        assert_error(client.post("/api/v1/operators", json=body, headers=admin), status, code)
    assert_error(
        client.patch("/api/v1/operators/987654321", json={"capacity": 1}, headers=admin),
        404,
        "operator_not_found",
    )


def test_changes_roles_lines_and_capacity(client, tokens, new_staff):
    made = new_staff()
    changed = client.patch(
        f"/api/v1/operators/{made['id']}",
        json={"roles": ["backoffice", "operator"], "lines": ["seller"], "capacity": 5},
        headers=auth(tokens["admin"]),
    )
    assert changed.status_code == 200, changed.text
    view = changed.json()
    assert (view["roles"], view["lines"], view["capacity"]) == (
        ["backoffice", "operator"],
        ["seller"],
        5,
    )
    token = login(client, made["login"]).json()["token"]
    assert client.get("/api/v1/auth/me", headers=auth(token)).json()["roles"] == [
        "backoffice",
        "operator",
    ]


def test_a_deactivated_operator_is_out_at_once_and_cannot_log_in(client, tokens, new_staff):
    made = new_staff()
    token = login(client, made["login"]).json()["token"]
    admin = auth(tokens["admin"])
    off = client.patch(f"/api/v1/operators/{made['id']}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=auth(token)).status_code == 401
    assert_error(login(client, made["login"]), 401, "invalid_credentials")
    on = client.patch(f"/api/v1/operators/{made['id']}", json={"active": True}, headers=admin)
    assert on.status_code == 200
    assert login(client, made["login"]).status_code == 200


def test_a_reset_password_ends_the_old_sessions(client, tokens, new_staff):
    made = new_staff()
    token = login(client, made["login"]).json()["token"]
    new_password = "another-long-password"
    reset = client.post(
        f"/api/v1/operators/{made['id']}/password",
        json={"password": new_password},
        headers=auth(tokens["admin"]),
    )
    assert reset.status_code == 204, reset.text
    assert client.get("/api/v1/auth/me", headers=auth(token)).status_code == 401
    assert_error(login(client, made["login"]), 401, "invalid_credentials")
    assert login(client, made["login"], new_password).status_code == 200


def test_an_admin_cannot_lock_themselves_out(client, tokens):
    admin = auth(tokens["admin"])
    me = client.get("/api/v1/auth/me", headers=admin).json()
    for body in ({"active": False}, {"roles": ["operator"]}):
        assert_error(
            client.patch(f"/api/v1/operators/{me['id']}", json=body, headers=admin),
            409,
            "own_account_lockout",
        )


def test_every_change_is_audited(client, tokens, new_staff):
    made = new_staff()
    admin = auth(tokens["admin"])
    client.patch(f"/api/v1/operators/{made['id']}", json={"capacity": 4}, headers=admin)
    client.post(f"/api/v1/operators/{made['id']}/logout", headers=auth(tokens["supervisor"]))
    page = client.get(
        f"/api/v1/audit?entity=operator:{made['id']}&limit=50",
        headers=auth(tokens["supervisor"]),
    ).json()
    actions = {e["action"]: e for e in page["entries"]}
    assert {"operator.created", "operator.updated", "operator.logged_out"} <= set(actions)
    assert actions["operator.updated"]["details"] == {"capacity": 4}
    assert actions["operator.created"]["action_title"] == "Сотрудник добавлен"


def test_a_role_change_reaches_a_token_in_use_at_once(client, tokens, new_staff):
    """The process remembers whom a token belongs to for a moment (principal cache); a
    change of roles is not held back by it."""
    made = new_staff(roles=("operator",))
    token = login(client, made["login"]).json()["token"]
    assert client.get("/api/v1/auth/me", headers=auth(token)).json()["roles"] == ["operator"]
    changed = client.patch(
        f"/api/v1/operators/{made['id']}",
        json={"roles": ["backoffice"]},
        headers=auth(tokens["admin"]),
    )
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/auth/me", headers=auth(token)).json()["roles"] == ["backoffice"]
