"""Who may call what, for every kind of user, on the rule and task endpoints."""

from __future__ import annotations

import pytest

from tests.conftest import auth

STAFF = ("operator", "backoffice", "supervisor", "admin")
EVERYONE = (*STAFF, "customer", "visitor", None, "bad")

# (method, path, body, the kinds of user that get 2xx)
ENDPOINTS = [
    ("get", "/api/v1/tasks", None, STAFF),
    ("get", "/api/v1/tasks/queues", None, STAFF),
    ("get", "/api/v1/notices", None, STAFF),
    ("get", "/api/v1/markdown/grades", None, STAFF),
    ("get", "/api/v1/me/balance", None, ("customer",)),
    ("post", "/api/v1/phishing/check", {"text": "Здравствуйте"}, EVERYONE),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
@pytest.mark.parametrize("who", EVERYONE)
def test_access_matrix(client, tokens, method, path, body, allowed, who):
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    kwargs = {"headers": headers} | ({"json": body} if body is not None else {})
    response = getattr(client, method)(path, **kwargs)
    if who in allowed:
        assert 200 <= response.status_code < 300, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert response.status_code == 403
        assert response.json()["error"]["message"]
