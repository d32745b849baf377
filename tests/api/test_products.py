"""The product card and product search."""

from __future__ import annotations

import pytest

from tests.conftest import ROLES, auth
from tests.errors import assert_error

AIRDOTS_STOCK = {
    "НОВАЯ_РИГА_РФЦ": 97,
    "РОСТОВ-НА-ДОНУ_РФЦ": 296,
    "ХОРУГВИНО_РФЦ": 293,
    "САНКТ-ПЕТЕРБУРГ_РФЦ": 311,
    "ТВЕРЬ_ХАБ": 206,
}


def test_airdots_card_as_in_the_crm(client, tokens):
    response = client.get("/api/v1/products/235260644", headers=auth(tokens["operator"]))
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["name"] == "Беспроводные наушники Xiaomi Airdots 2"
    assert card["serial_number"] == "OZN235260644"
    assert card["seller"]["name"] == "Mi Store"
    assert card["category"] == ["EPG", "Электроника", "Наушники, гарнитура", "Наушники"]
    assert {s["warehouse"]: s["quantity"] for s in card["stock"]} == AIRDOTS_STOCK
    assert card["stock_total"] == sum(AIRDOTS_STOCK.values())
    assert card["package"]["text"] == "150 × 75 × 27"
    assert card["package"]["weight_g"] == 60
    assert [t["value"] for t in card["return_terms"]] == ["3 дня", "7 дней", "1 год"]
    assert (card["price"], card["discount"], card["price_with_discount"]) == (
        "2990.00",
        "1050.00",
        "1940.00",
    )
    assert card["discount_percent"] == 35  # «-35%» on the site
    assert card["sale_scheme"] == {"code": "fbo", "title": "FBO"}
    assert ["Время работы в режиме разговора, ч", "4"] in [
        [a["name"], a["value"]] for a in card["attributes"]
    ]
    assert card["markdown"] is None


def test_marked_down_robot_shows_reason_grade_and_discount(client, tokens):
    card = client.get("/api/v1/products/483491476", headers=auth(tokens["operator"])).json()
    assert card["markdown"]["reason"] == "Порвана упаковка"
    assert card["markdown"]["grade"] == 5
    assert card["markdown"]["discount_percent"] == 10
    assert card["price_with_discount"] == "2481.00"


def test_gift_certificate_product_lists_its_nominals(client, tokens):
    card = client.get("/api/v1/products/135382627", headers=auth(tokens["operator"])).json()
    assert card["nominals"][0] == "500.00"
    assert card["nominals"][-1] == "1000000.00"
    assert len(card["nominals"]) == 25


def test_special_category_has_the_seeds_title(client, tokens):
    """Seed 000's «особые товары»: the digital certificate is one, the headphones are not."""
    digital = client.get("/api/v1/products/135382627", headers=auth(tokens["operator"])).json()
    assert digital["special_category"] == "digital"
    assert digital["special_category_title"] == "Цифровые товары (онлайн-кинотеатры, игры и софт)"
    plain = client.get("/api/v1/products/235260644", headers=auth(tokens["operator"])).json()
    assert (plain["special_category"], plain["special_category_title"]) == (None, None)


@pytest.mark.parametrize("query", ["235260644", "OZN235260644", "ozn 235260644"])
def test_search_by_code_or_serial(client, tokens, query):
    response = client.get("/api/v1/products", params={"q": query}, headers=auth(tokens["operator"]))
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["products"]] == [235260644]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("наушники xiaomi", 235260644),
        ("НАУШНИКИ", 235260644),
        ("Наушн", 235260644),  # a word prefix
        ("робот джип", 483491476),
        ("уцененный", 483491476),
        ("Миллион подарков", 135382627),
    ],
)
def test_search_by_words_of_the_name(client, tokens, query, expected):
    response = client.get("/api/v1/products", params={"q": query}, headers=auth(tokens["operator"]))
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["products"]] == [expected]


def test_search_with_no_match_is_empty_not_an_error(client, tokens):
    response = client.get(
        "/api/v1/products", params={"q": "несуществующийтовар"}, headers=auth(tokens["operator"])
    )
    assert response.status_code == 200
    assert response.json()["products"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "validation_error"),
        ({"q": ""}, "validation_error"),
        ({"q": "x" * 201}, "validation_error"),
        ({"q": '!!! ??? "*'}, "empty_query"),
        ({"q": "наушники", "limit": "0"}, "validation_error"),
        ({"q": "наушники", "limit": "abc"}, "validation_error"),
    ],
)
def test_bad_search_input(client, tokens, params, code):
    response = client.get("/api/v1/products", params=params, headers=auth(tokens["operator"]))
    assert_error(response, 422, code)


@pytest.mark.parametrize("query", ['"OR" * NEAR(', "zz:* & | !", "' OR 1=1 --", "ёлка\x00"])
def test_search_syntax_characters_are_not_an_injection(client, tokens, query):
    response = client.get("/api/v1/products", params={"q": query}, headers=auth(tokens["operator"]))
    assert response.status_code in (200, 422)
    assert "error" in response.json() or response.json()["products"] == []


def test_unknown_product_is_404(client, tokens):
    response = client.get("/api/v1/products/999999999", headers=auth(tokens["operator"]))
    assert_error(response, 404, "product_not_found")


@pytest.mark.parametrize("code", ["abc", "-1", "0", "99999999999999999999999", "1.5"])
def test_malformed_product_code_is_422(client, tokens, code):
    response = client.get(f"/api/v1/products/{code}", headers=auth(tokens["operator"]))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("path", ["/api/v1/products/235260644", "/api/v1/products?q=наушники"])
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
def test_access(client, tokens, path, who, status):
    headers = {} if who is None else auth(tokens.get(who, "not-a-real-token"))
    response = client.get(path, headers=headers)
    assert response.status_code == status
    if status != 200:
        assert set(response.json()["error"]) >= {"code", "message"}
