"""Operator login, tokens and logout."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, ROLES, auth
from tests.errors import assert_error


@pytest.mark.parametrize("login", ROLES)
def test_every_demo_role_can_log_in_and_sees_its_roles(client, login):
    response = client.post("/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = client.get("/api/v1/auth/me", headers=auth(body["token"])).json()
    assert me["kind"] == "operator"
    assert login in me["roles"]


@pytest.mark.parametrize(
    "credentials",
    [{"login": "operator", "password": "wrong"}, {"login": "nobody", "password": DEMO_PASSWORD}],
)
def test_wrong_password_and_unknown_login_get_the_same_answer(client, credentials):
    response = client.post("/api/v1/auth/login", json=credentials)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "invalid_credentials", "message": "Неверный логин или пароль."}
    }
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{", "application/json"),
        ("[]", "application/json"),
        ('{"login": "operator"}', "application/json"),
        ('{"login": 5, "password": "x"}', "application/json"),
        ('{"login": "", "password": "x"}', "application/json"),
        ('{"login": "operator", "password": "x", "admin": true}', "application/json"),
        ('{"login": "' + "a" * 65 + '", "password": "x"}', "application/json"),
        ("login=operator&password=x", "application/x-www-form-urlencoded"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_malformed_login_is_422_with_a_message(client, body, content_type):
    response = client.post(
        "/api/v1/auth/login", content=body.encode("latin-1"), headers={"content-type": content_type}
    )
    error = assert_error(response, 422, "validation_error")
    assert error["message"]
    assert "Traceback" not in response.text


def test_logout_revokes_the_token(client):
    token = client.post(
        "/api/v1/auth/login", json={"login": "operator", "password": DEMO_PASSWORD}
    ).json()["token"]
    assert client.get("/api/v1/auth/me", headers=auth(token)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=auth(token)).status_code == 204
    response = client.get("/api/v1/auth/me", headers=auth(token))
    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic b3BlcmF0b3I6eA==", "Bearer " + "x" * 600, "Token abc"],
)
def test_malformed_authorization_header_is_401(client, header):
    response = client.get("/api/v1/auth/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"unauthorized", "invalid_token"}


def test_customer_and_visitor_tokens_identify_their_kind(client, tokens):
    assert (
        client.get("/api/v1/auth/me", headers=auth(tokens["customer"])).json()["kind"] == "customer"
    )
    assert (
        client.get("/api/v1/auth/me", headers=auth(tokens["visitor"])).json()["kind"] == "visitor"
    )
