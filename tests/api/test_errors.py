"""One error shape everywhere; no 500 and no stack trace for malformed input."""

from __future__ import annotations

import pytest

from tests.conftest import auth
from tests.errors import assert_error


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_unknown_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Такого адреса нет."}}


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/v1/products/235260644")
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products/%00",
        "/api/v1/products/235260644%0A",
        "/api/v1/customers/%F0%9F%98%80",
        "/api/v1/news?date_to=%FF",
        "/api/v1/products?q=%00%00",
        "/api/v1/products?q=" + "ё" * 150,
        "/api/v1/customers/58561573/orders?limit=1e3",
    ],
)
def test_garbage_never_gets_a_500(client, tokens, path):
    response = client.get(path, headers=auth(tokens["operator"]))
    assert 200 <= response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}
    assert "Traceback" not in response.text


def test_openapi_schema_is_served(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/products/{code}" in schema["paths"]
    assert "/api/v1/customers/{customer_id}" in schema["paths"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/conversations/99999999999999999999"),
        ("get", "/api/v1/conversations/99999999999999999999/messages"),
        ("post", "/api/v1/conversations/99999999999999999999/handoff"),
        ("get", "/api/v1/attachments/99999999999999999999"),
        ("get", "/api/v1/conversations/0"),
    ],
)
def test_ids_beyond_bigint_are_422_not_500(client, tokens, method, path):
    response = getattr(client, method)(path, headers=auth(tokens["visitor"]))
    assert_error(response, 422, "validation_error")


def test_socket_to_an_impossible_conversation_is_closed(client):
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws/conversations/99999999999999999999") as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 1008
