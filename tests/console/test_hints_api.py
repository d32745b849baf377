"""GET /api/v1/hints (search) and GET /api/v1/hints/tree (section → situation → template)."""

from __future__ import annotations

import pytest

from tests.conftest import auth

STAFF = ("operator", "backoffice", "supervisor", "admin")


def test_top_three_hints_for_a_coupon_question(client, tokens):
    response = client.get(
        "/api/v1/hints",
        params={"q": "не могу применить купон, пишет что купоны заблокированы"},
        headers=auth(tokens["operator"]),
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert len(data["hints"]) == 3
    first = data["hints"][0]
    assert first["audience"] == "operator"
    assert first["section"] == "Акции"
    assert "Бан купонов" in first["title"]
    assert first["body"] and first["id"].startswith("hint--")
    assert len({h["id"] for h in data["hints"]}) == 3


def test_limit_and_ids_are_unique_per_article(client, tokens):
    response = client.get(
        "/api/v1/hints", params={"q": "бан купонов", "limit": 10}, headers=auth(tokens["operator"])
    )
    hints = response.json()["hints"]
    assert 3 <= len(hints) <= 10
    coupon = [h for h in hints if h["slug"] == "coupon_ban"]
    assert len({h["id"] for h in coupon}) == len(coupon)


def test_a_message_with_no_known_word_gets_no_hints(client, tokens):
    response = client.get(
        "/api/v1/hints", params={"q": "ъъъ ыыы"}, headers=auth(tokens["operator"])
    )
    assert response.status_code == 200
    assert response.json()["hints"] == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x" * 2001},
        {"q": "купон", "limit": 0},
        {"q": "купон", "limit": 11},
        {"q": "купон", "limit": "три"},
    ],
)
def test_bad_input(client, tokens, params):
    response = client.get("/api/v1/hints", params=params, headers=auth(tokens["operator"]))
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_tree_is_section_situation_template(client, tokens):
    response = client.get("/api/v1/hints/tree", headers=auth(tokens["operator"]))
    assert response.status_code == 200
    sections = response.json()["sections"]
    titles = [s["title"] for s in sections]
    assert titles == sorted(titles)
    assert {"Акции", "Товары", "Подарочные сертификаты", "Общение с клиентом"} <= set(titles)
    promos = next(s for s in sections if s["title"] == "Акции")
    situations = {s["title"]: s["hints"] for s in promos["situations"]}
    assert any("Бан купонов" in s for s in situations)
    for hints in situations.values():
        for hint in hints:
            assert hint["audience"] == "operator" and hint["section"] == "Акции" and hint["body"]
    every = [h for s in sections for sit in s["situations"] for h in sit["hints"]]
    assert len({h["id"] for h in every}) == len(every) >= 20


def test_topic_titles(client, tokens):
    response = client.get("/api/v1/hints/topics", headers=auth(tokens["operator"]))
    assert response.status_code == 200
    topics = response.json()["topics"]
    assert topics["coupon_ban"] and topics["order_status"]
    assert all(isinstance(t, str) and t for t in topics.values())


@pytest.mark.parametrize(
    "path", ["/api/v1/hints?q=купон", "/api/v1/hints/tree", "/api/v1/hints/topics"]
)
@pytest.mark.parametrize("who", [*STAFF, "customer", "visitor", None, "bad"])
def test_who_may_read_hints(client, tokens, path, who):
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    response = client.get(path, headers=headers)
    if who in STAFF:
        assert response.status_code == 200, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert response.status_code == 403
    if response.status_code != 200:
        assert response.json()["error"]["message"]
