"""GET /api/v1/operators: colleagues who serve chat lines, for transfers."""

from __future__ import annotations

import pytest

from tests.conftest import auth


def test_lists_chat_operators_with_their_lines(client, tokens):
    response = client.get("/api/v1/operators", headers=auth(tokens["operator"]))
    assert response.status_code == 200, response.text
    by_login = {o["login"]: o for o in response.json()["operators"]}
    assert by_login["operator"]["lines"] == ["general"]
    assert by_login["travel"]["lines"] == ["travel_priority"]
    assert set(by_login["supervisor"]["lines"]) == {"general", "travel_priority", "seller"}
    assert "backoffice" not in by_login and "admin" not in by_login  # no chat lines
    assert all(o["chats"] >= 0 and o["capacity"] >= 0 for o in by_login.values())


def test_narrowed_to_one_line(client, tokens):
    """Exactly the operators who serve the line: of the demo's, supervisor and sellers (the
    shared database may hold more, made by other tests, e.g. tests/people: they count when
    they serve the line, and only then)."""
    headers = auth(tokens["operator"])
    everyone = client.get("/api/v1/operators", headers=headers).json()["operators"]
    response = client.get("/api/v1/operators", params={"line": "seller"}, headers=headers)
    assert response.status_code == 200, response.text
    narrowed = {o["login"] for o in response.json()["operators"]}
    assert narrowed == {o["login"] for o in everyone if "seller" in o["lines"]}
    assert {"supervisor", "sellers"} <= narrowed
    assert not narrowed & {"operator", "travel", "backoffice", "admin"}
    assert narrowed < {o["login"] for o in everyone}  # narrowed: others are left out


def test_unknown_line_is_422(client, tokens):
    response = client.get(
        "/api/v1/operators", params={"line": "vip"}, headers=auth(tokens["operator"])
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("operator", 200),
        ("backoffice", 200),
        ("supervisor", 200),
        ("admin", 200),
        ("customer", 403),
        ("visitor", 403),
        (None, 401),
        ("bad", 401),
    ],
)
def test_access(client, tokens, who, status):
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    assert client.get("/api/v1/operators", headers=headers).status_code == status
