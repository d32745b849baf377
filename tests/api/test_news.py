"""Promotions news: search, filters and read marks (per operator)."""

from __future__ import annotations

import pytest

from tests.conftest import ROLES, auth
from tests.errors import assert_error


def news(client, token, **params):
    response = client.get("/api/v1/news", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_title_search_finds_the_seed_promotions(client, tokens):
    page = news(client, tokens["operator"], q="1+1")
    titles = [item["title"] for item in page["items"]]
    assert titles == [
        "Нефраздоз 1+1 скидка 300р",
        "1+1 на капсулы для кофе Starbucks и NESCAFÉ®",
        "1+1=3",
        "1+1=3 на спортивные печенья и батончики",
        "Nescafe Dolce Gusto 1+1=3",
        "1+1=3 товары для дома",
    ]
    edited = page["items"][1]
    assert edited["edited_at"] is not None and edited["kind"]["title"] == "Акция"


@pytest.mark.parametrize("query", ["НЕФРАЗДОЗ", "нефраздоз", "тайный покупатель", "ТАЙНЫЙ"])
def test_title_search_ignores_case_of_cyrillic(client, tokens, query):
    assert news(client, tokens["operator"], q=query)["total"] == 1


def test_like_wildcards_are_literal(client, tokens):
    assert news(client, tokens["operator"], q="%")["total"] == 0
    assert news(client, tokens["operator"], q="_")["total"] == 0


def test_category_and_date_range(client, tokens):
    page = news(
        client,
        tokens["operator"],
        category="Комплекты",
        date_from="2022-04-01",
        date_to="2022-04-22",
    )
    assert [i["title"] for i in page["items"]] == [
        "1+1 на капсулы для кофе Starbucks и NESCAFÉ®",
        "1+1=3",
        "1+1=3 на спортивные печенья и батончики",
    ]


def test_categories_are_listed(client, tokens):
    response = client.get("/api/v1/news/categories", headers=auth(tokens["operator"]))
    assert "Комплекты" in response.json()["categories"]


def test_urgent_and_mandatory_filters(client, tokens):
    urgent = news(client, tokens["operator"], filter="urgent")
    mandatory = news(client, tokens["operator"], filter="mandatory")
    assert [i["title"] for i in urgent["items"]] == [
        "Бан купонов — не называйте клиенту количество пересечений"
    ]
    assert {i["title"] for i in mandatory["items"]} == {
        "Бан купонов — не называйте клиенту количество пересечений",
        "Сотруднику КЦ запрещено самостоятельно активировать сертификат в ЛК клиента",
    }


def test_read_marks_are_per_operator(client, tokens):
    reader, other = tokens["backoffice"], tokens["admin"]
    before = news(client, reader, filter="unread")
    target = before["items"][0]["id"]
    response = client.post(f"/api/v1/news/{target}/read", headers=auth(reader))
    assert response.status_code == 200
    assert response.json()["read"] is True
    again = client.post(f"/api/v1/news/{target}/read", headers=auth(reader))
    assert again.json()["read_at"] == response.json()["read_at"]  # idempotent

    after = news(client, reader, filter="unread")
    assert after["unread"] == before["unread"] - 1
    assert target not in [i["id"] for i in after["items"]]
    assert target in [i["id"] for i in news(client, other, filter="unread")["items"]]


def test_mark_all_read(client, tokens):
    token = tokens["supervisor"]
    unread = news(client, token)["unread"]
    assert unread > 0
    response = client.post("/api/v1/news/read-all", headers=auth(token))
    assert response.json() == {"marked": unread}
    page = news(client, token)
    assert page["unread"] == 0 and page["unread_mandatory"] == 0
    assert all(item["read"] for item in page["items"])
    assert client.post("/api/v1/news/read-all", headers=auth(token)).json() == {"marked": 0}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter": "important"}, "validation_error"),
        ({"date_from": "2022-13-01"}, "validation_error"),
        ({"date_from": "вчера"}, "validation_error"),
        ({"date_from": "2022-05-01", "date_to": "2022-04-01"}, "invalid_date_range"),
        ({"q": "x" * 201}, "validation_error"),
        ({"limit": "0"}, "validation_error"),
    ],
)
def test_bad_search_input(client, tokens, params, code):
    response = client.get("/api/v1/news", params=params, headers=auth(tokens["operator"]))
    assert_error(response, 422, code)


@pytest.mark.parametrize("news_id", ["999999", "abc", "0"])
def test_mark_read_of_unknown_or_malformed_id(client, tokens, news_id):
    response = client.post(f"/api/v1/news/{news_id}/read", headers=auth(tokens["operator"]))
    assert response.status_code == (404 if news_id == "999999" else 422)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/news"),
        ("get", "/api/v1/news/categories"),
        ("post", "/api/v1/news/1/read"),
        ("post", "/api/v1/news/read-all"),
    ],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        *[(role, 200) for role in ROLES],
        ("customer", 403),
        ("visitor", 403),
        (None, 401),
        ("bad", 401),
    ],
)
def test_access(client, tokens, method, path, who, status):
    headers = {} if who is None else auth(tokens.get(who, "wrong-token"))
    assert getattr(client, method)(path, headers=headers).status_code == status
