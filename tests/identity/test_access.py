"""Who may call each new endpoint of issue 14, items 4 and 5: every kind of user
(operator, back office, supervisor, the customer, a visitor, anonymous, a seller-line
operator), one row each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

from .helpers import Case, case

USERS = ("operator", "backoffice", "supervisor", "customer", "visitor", "anonymous", "seller")
Expected = tuple[int, str | None]  # status, and the error code when it is a refusal


def _tokens(env: ChatEnv, c: Case) -> dict[str, str | None]:
    _, backoffice = env.operator(lines=(), roles=("backoffice",))
    _, supervisor = env.operator(lines=(), roles=("supervisor",))
    _, seller = env.operator(lines=("seller",))
    return {
        "operator": c.operator,
        "backoffice": backoffice,
        "supervisor": supervisor,
        "customer": c.customer,
        "visitor": env.visitor(),
        "anonymous": None,
        "seller": seller,
    }


def _call(env: ChatEnv, method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = auth(token) if token else {}
    return env.client.request(method, path, json=body, headers=headers)


def _staff_rule(allowed: Expected) -> dict[str, Expected]:
    """A conversation's endpoint: the staff who read it get ``allowed``; staff who may not
    read it get the missing conversation's 404; customers and visitors are not staff."""
    return {
        "operator": allowed,
        "supervisor": allowed,
        "backoffice": (404, "conversation_not_found"),
        "seller": (404, "conversation_not_found"),
        "customer": (403, "forbidden"),
        "visitor": (403, "forbidden"),
        "anonymous": (401, "unauthorized"),
    }


def _customer_rule(allowed: Expected) -> dict[str, Expected]:
    staff = (403, "customer_only")
    return {
        "operator": staff,
        "supervisor": staff,
        "backoffice": staff,
        "seller": staff,
        "customer": allowed,
        "visitor": staff,
        "anonymous": (401, "unauthorized"),
    }


WITHDRAWAL = {"amount": "100", "recipient": "Иванов Иван", "bik": "049805746", "account": "1"}
CONVERSATION_ENDPOINTS: list[tuple[str, str, Any, Expected]] = [
    ("GET", "identity", None, (200, None)),
    ("POST", "identity/check", {"answer": "не то"}, (200, None)),
    ("POST", "identity/codeword-reset", None, (201, None)),
    ("POST", "identity/contacts", None, (403, "identity_check_required")),
    ("POST", "identity/login-phone", {"phone": "+79990001122"}, (403, "identity_check_required")),
    ("POST", "identity/withdrawals", WITHDRAWAL, (403, "identity_check_required")),
]
CUSTOMER_ENDPOINTS: list[tuple[str, str, Any, Expected]] = [
    ("GET", "/api/v1/me/codeword", None, (200, None)),
    ("PUT", "/api/v1/me/codeword", {"codeword": "Жёлтая лодка"}, (200, None)),
    ("GET", "/api/v1/me/security-chat", None, (200, None)),
    ("GET", "/api/v1/me/devices", None, (200, None)),
    ("POST", "/api/v1/me/devices/logout-all", None, (200, None)),  # last: it ends the token
]


def _assert(response: Any, expected: Expected, who: str, path: str) -> None:
    status, code = expected
    if code is None:
        assert response.status_code == status, (who, path, response.text)
    else:
        assert_error(response, status, code)


@pytest.mark.parametrize("endpoint", CONVERSATION_ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_conversation_endpoints(env: ChatEnv, endpoint: tuple[str, str, Any, Expected]) -> None:
    method, tail, body, allowed = endpoint
    c = case(env)
    tokens = _tokens(env, c)
    path = f"/api/v1/conversations/{c.conversation_id}/{tail}"
    for who, expected in _staff_rule(allowed).items():
        _assert(_call(env, method, path, tokens[who], body), expected, who, path)


@pytest.mark.parametrize("endpoint", CUSTOMER_ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_customer_endpoints(env: ChatEnv, endpoint: tuple[str, str, Any, Expected]) -> None:
    method, path, body, allowed = endpoint
    c = case(env)
    tokens = _tokens(env, c)
    for who, expected in _customer_rule(allowed).items():
        _assert(_call(env, method, path, tokens[who], body), expected, who, path)


CLEAR: dict[str, Expected] = {
    "operator": (403, "forbidden"),
    "seller": (403, "forbidden"),
    "backoffice": (200, None),
    "supervisor": (200, None),
    "customer": (403, "forbidden"),
    "visitor": (403, "forbidden"),
    "anonymous": (401, "unauthorized"),
}


@pytest.mark.parametrize("who", USERS)
def test_clearing_a_codeword(env: ChatEnv, who: str) -> None:
    c = case(env)
    token = _tokens(env, c)[who]
    path = f"/api/v1/customers/{c.customer_id}/codeword"
    _assert(_call(env, "DELETE", path, token), CLEAR[who], who, path)


def test_the_tables_cover_every_kind_of_user() -> None:
    rules: list[Callable[[Expected], dict[str, Expected]]] = [_staff_rule, _customer_rule]
    for rule in rules:
        assert set(rule((200, None))) == set(USERS)
    assert set(CLEAR) == set(USERS)
