"""POST /api/v1/hints (search) and GET /api/v1/hints/tree (section → situation → template)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import auth

HINTS_JS = Path(__file__).parents[2] / "marketdesk/web/console/static/hints.js"

STAFF = ("operator", "backoffice", "supervisor", "admin")


def test_top_three_hints_for_a_coupon_question(client, tokens):
    response = client.post(
        "/api/v1/hints",
        json={"text": "не могу применить купон, пишет что купоны заблокированы"},
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
    response = client.post(
        "/api/v1/hints", json={"text": "бан купонов", "limit": 10}, headers=auth(tokens["operator"])
    )
    hints = response.json()["hints"]
    assert 3 <= len(hints) <= 10
    coupon = [h for h in hints if h["slug"] == "coupon_ban"]
    assert len({h["id"] for h in coupon}) == len(coupon)


def test_a_message_with_no_known_word_gets_no_hints(client, tokens):
    response = client.post(
        "/api/v1/hints", json={"text": "ъъъ ыыы"}, headers=auth(tokens["operator"])
    )
    assert response.status_code == 200
    assert response.json()["hints"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "x" * 2001},
        {"text": "купон", "limit": 0},
        {"text": "купон", "limit": 11},
        {"text": "купон", "limit": "три"},
        {"text": "купон", "q": "купон"},
        {"q": "купон"},
    ],
)
def test_bad_input(client, tokens, body):
    response = client.post("/api/v1/hints", json=body, headers=auth(tokens["operator"]))
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_the_customer_text_is_not_taken_from_the_url(client, tokens):
    """What a customer typed (a card or passport number) must not reach the access log: the
    search takes no text in the query string, and the console sends it in the body."""
    text = "карта 4276 3800 1234 5678, паспорт 4510 123456, купон не применяется"
    response = client.get("/api/v1/hints", params={"q": text}, headers=auth(tokens["operator"]))
    assert response.status_code == 405
    assert response.json()["error"]["message"]
    posted = client.post("/api/v1/hints", json={"text": text}, headers=auth(tokens["operator"]))
    assert posted.status_code == 200, posted.text
    script = HINTS_JS.read_text(encoding="utf-8")
    assert "/api/v1/hints?" not in script
    assert 'api("POST", "/api/v1/hints", {' in script


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


@pytest.mark.parametrize("path", ["/api/v1/hints", "/api/v1/hints/tree", "/api/v1/hints/topics"])
@pytest.mark.parametrize("who", [*STAFF, "customer", "visitor", None, "bad"])
def test_who_may_read_hints(client, tokens, path, who):
    headers = {} if who is None else auth(tokens.get(who, "not-a-token"))
    if path == "/api/v1/hints":
        response = client.post(path, json={"text": "купон"}, headers=headers)
    else:
        response = client.get(path, headers=headers)
    if who in STAFF:
        assert response.status_code == 200, response.text
    elif who in (None, "bad"):
        assert response.status_code == 401
    else:
        assert response.status_code == 403
    if response.status_code != 200:
        assert response.json()["error"]["message"]
