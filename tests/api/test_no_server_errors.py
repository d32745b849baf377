"""No 500 from what a client sends (issue 18): NUL characters anywhere in a request, dates
at the ends of the calendar, huge numbers, and the same over WebSockets on a real server.

A NUL (U+0000) is refused before any route with 422 ``invalid_characters`` on both backends
(PostgreSQL cannot store or compare it; it was a 500 there, the login among the routes).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from marketdesk.api.input_guard import CODE, MESSAGE, NulScanner
from marketdesk.domain.ids import MAX_ID
from marketdesk.server import create_app
from tests.chat.servers import Server
from tests.conftest import auth, backends
from tests.errors import assert_error


def _refused_for_nul(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json() == {"error": {"code": CODE, "message": MESSAGE}}


# --------------------------------------------------------------------------- NUL over HTTP


@pytest.mark.parametrize(
    "body",
    [
        '{"login": "admin\\u0000", "password": "x"}',
        '{"login": "\\u0000", "password": "x"}',
        '{"login": "admin", "password": "\\u0000"}',
        '{"login": "a\\\\\\u0000", "password": "x"}',  # an escaped backslash, then the NUL
    ],
)
def test_nul_in_the_login_body_is_422_not_500(client, body: str) -> None:
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    _refused_for_nul(response)


def test_a_nul_without_a_content_type_is_refused_too(client) -> None:
    response = client.post("/api/v1/auth/login", content=b'{"login": "\\u0000", "password": "x"}')
    _refused_for_nul(response)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_json_in_utf16_or_utf32_cannot_smuggle_a_nul(client, encoding: str) -> None:
    # the JSON parser detects these encodings by their zero bytes, where the escape is
    # no longer the six bytes \u0000: JSON is taken in UTF-8 only
    body = '{"login": "admin\\u0000", "password": "x"}'.encode(encoding)
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    _refused_for_nul(response)


def test_a_backslash_u0000_as_plain_text_is_not_a_nul(client) -> None:
    # "\\u0000" in JSON is the six characters \u0000, which anyone may type
    response = client.post(
        "/api/v1/auth/login",
        content='{"login": "admin\\\\u0000", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/news?q=a%00b",
        "/api/v1/news?category=%00",
        "/api/v1/tasks?queue=%00",
        "/api/v1/products?q=%00",
        "/api/v1/queue/general%00",
        "/api/v1/products/235260644%00",
    ],
)
def test_nul_in_the_query_or_path_is_422_not_500(client, tokens, path: str) -> None:
    _refused_for_nul(client.get(path, headers=auth(tokens["supervisor"])))


def test_nul_in_json_bodies_of_other_routes_is_422(client, tokens) -> None:
    headers = {**auth(tokens["visitor"]), "content-type": "application/json"}
    cases = [
        ("/api/v1/conversations", '{"line": "seller", "seller_topic": "\\u0000"}'),
        ("/api/v1/phishing/check", '{"text": "x\\u0000"}'),
    ]
    for path, body in cases:
        _refused_for_nul(client.post(path, content=body, headers=headers))


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_nul_in_multipart_fields_is_422(client) -> None:
    """Multipart bodies are not scanned (they carry binary files); a NUL in a text field
    is refused by the service or, where PostgreSQL meets it first, by the error handler."""
    visitor = client.post("/api/v1/visitors").json()["token"]
    cid = client.post("/api/v1/conversations", json={}, headers=auth(visitor)).json()["id"]
    for fields in ({"client_msg_id": "a\x00"}, {"client_msg_id": "b", "text": "a\x00"}):
        response = client.post(
            f"/api/v1/conversations/{cid}/attachments",
            data=fields,
            files={"file": ("x.png", PNG, "image/png")},
            headers=auth(visitor),
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] in {
            "invalid_characters",
            "invalid_client_msg_id",
            "invalid_text",
        }


def test_a_nul_split_between_chunks_is_found_through_the_asgi_app(demo_db: Any) -> None:
    body = b'{"login": "' + b"a" * 1000 + b'\\u0000", "password": "x"}'

    async def main() -> list[httpx.Response]:
        app = create_app(demo_db.settings())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                responses = []
                for cut in range(1000, 1012):  # every cut across the escape

                    async def chunks(cut: int = cut) -> AsyncIterator[bytes]:
                        for part in (body[:cut], body[cut : cut + 3], body[cut + 3 :]):
                            yield part

                    responses.append(
                        await http.post(
                            "/api/v1/auth/login",
                            content=chunks(),
                            headers={"content-type": "application/json"},
                        )
                    )
                return responses

    for response in asyncio.run(main()):
        _refused_for_nul(response)


def _feed(chunks: list[bytes]) -> bool:
    scanner = NulScanner()
    found = False
    for index, chunk in enumerate(chunks):
        found = scanner.feed(chunk, final=index == len(chunks) - 1) or found
        if found:
            break
    return found


@pytest.mark.parametrize(
    ("text", "nul"),
    [
        (rb'{"a": "\u0000"}', True),
        (rb'{"a": "\\u0000"}', False),  # an escaped backslash and the text u0000
        (rb'{"a": "\\\u0000"}', True),
        (rb'{"a": "\\\\u0000"}', False),
        (rb'{"a": "\u00000"}', True),
        (rb'{"a": "\u0001\u0000"}', True),
        (rb'{"a": "\u1000"}', False),
        (rb'{"\u0000": 1}', True),
        (b'{"a": "' + b"\\\\" * 500 + rb'\u0000"}', True),
        (b'{"a": "' + b"\\\\" * 500 + rb'u0000"}', False),
        (rb'{"a": "\"\u0000"}', True),
        (rb'{"a": "x"}', False),
        (rb"\\", False),
        (b'{"a": "x\x00"}', True),  # a raw zero byte
        ('{"a": "x"}'.encode("utf-16-le"), True),
    ],
)
def test_the_scanner_finds_a_nul_escape_however_the_body_is_cut(text: bytes, nul: bool) -> None:
    assert _feed([text]) is nul
    for cut in range(len(text) + 1):
        assert _feed([text[:cut], text[cut:]]) is nul, cut
    assert _feed([bytes([byte]) for byte in text]) is nul


# --------------------------------------------------------------------------- dates, numbers


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "date_from=0001-01-01&date_to=9999-12-31",
        "date_from=9999-12-31",
        "date_to=0001-01-01",
    ],
)
def test_news_dates_at_the_ends_of_the_calendar(client, tokens, query: str) -> None:
    response = client.get(f"/api/v1/news?{query}", headers=auth(tokens["operator"]))
    assert response.status_code == 200, response.text
    everything = client.get("/api/v1/news", headers=auth(tokens["operator"])).json()["total"]
    if query.endswith("9999-12-31") and "date_from=9999" not in query:
        assert response.json()["total"] == everything
    if query in ("date_from=9999-12-31", "date_to=0001-01-01"):
        assert response.json()["total"] == 0


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/news/{MAX_ID + 1}/read",
        f"/api/v1/conversations/{MAX_ID + 1}/close",
        f"/api/v1/conversations/{10**30}/take",
        "/api/v1/conversations/-1/resolve",
        "/api/v1/conversations/0/handoff",
    ],
)
def test_ids_out_of_range_in_the_path_are_422(client, tokens, path: str) -> None:
    response = client.post(path, headers=auth(tokens["supervisor"]))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/api/v1/customers/{MAX_ID}", 404),
        (f"/api/v1/customers/{MAX_ID + 1}", 422),
        (f"/api/v1/products/{MAX_ID}", 404),
        (f"/api/v1/products/{MAX_ID + 1}", 422),
        (f"/api/v1/tasks?customer_id={MAX_ID}", 200),
        (f"/api/v1/tasks?customer_id={MAX_ID + 1}", 422),
    ],
)
def test_the_largest_id_is_looked_up_and_the_next_one_refused(
    client, tokens, path: str, status: int
) -> None:
    """One id type (``api/types.BigId``, 1..MAX_ID) on paths and queries."""
    response = client.get(path, headers=auth(tokens["supervisor"]))
    assert response.status_code == status, response.text


@pytest.mark.parametrize("operator_id", [MAX_ID + 1, 10**30, 0, -1])
def test_transfer_to_an_operator_id_out_of_range_is_422(client, tokens, operator_id: int) -> None:
    visitor = client.post("/api/v1/visitors").json()["token"]
    cid = client.post("/api/v1/conversations", json={}, headers=auth(visitor)).json()["id"]
    response = client.post(
        f"/api/v1/conversations/{cid}/transfer",
        json={"to_operator_id": operator_id},
        headers=auth(tokens["supervisor"]),
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "query",
    [f"limit={10**20}", "limit=-1", f"offset={MAX_ID + 1}", "limit=1e3", "limit=%01%02"],
)
def test_limits_out_of_range_are_422(client, tokens, query: str) -> None:
    response = client.get(f"/api/v1/news?{query}", headers=auth(tokens["operator"]))
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"", None),
        (b"login=admin", "application/x-www-form-urlencoded"),
        (b"\x00\x01\x02", "application/octet-stream"),
        (b'{"login": "admin"', "application/json"),
        (b"[]", "application/json"),
        (b'{"login": "\xff\xfe", "password": "x"}', "application/json"),
    ],
)
def test_empty_broken_and_mistyped_login_bodies_are_4xx(
    client, content: bytes, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/api/v1/auth/login", content=content, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) >= {"code", "message"}


# --------------------------------------------------------------------------- WebSockets


def _next_error(ws: ClientConnection) -> dict[str, Any]:
    for _ in range(20):
        frame = json.loads(ws.recv(timeout=15))
        if frame["type"] == "error":
            return dict(frame)
    raise AssertionError("no error frame")


def _closed_with(ws: ClientConnection) -> int | None:
    from websockets.exceptions import ConnectionClosed

    try:
        for _ in range(50):
            ws.recv(timeout=15)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the socket stayed open")


@pytest.mark.slow
@pytest.mark.parametrize("backend", backends())
def test_sockets_refuse_bad_frames_without_1011(
    backend: str, make_database: Callable[[str], Any]
) -> None:
    """On a real server (uvicorn encodes every frame as UTF-8): NUL characters, lone
    surrogates and numbers beyond the columns get an error frame, never a 1011."""
    db = make_database(backend)
    server = Server(db.tmp, db.url, log_name=f"bad-frames-{backend}").start()
    try:
        token = server.visitor()
        cid = server.post("/api/v1/conversations", token, {"line": "general"}).json()["id"]
        with connect(f"{server.ws_url}/ws/conversations/{cid}") as ws:
            ws.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(ws.recv(timeout=15))["type"] == "ready"
            message = '{"type":"message","client_msg_id":"%s","text":"%s"}'
            sent = [
                (message % ("a", "x\\u0000y"), "invalid_text"),
                (message % ("b\\u0000", "x"), "invalid_client_msg_id"),
                (message % ("c", "\\ud800"), "invalid_text"),
                (message % ("\\ud800", "x"), "invalid_client_msg_id"),
                ('{"type":"\\ud800"}', "bad_frame"),
                ('{"type":"message","client_msg_id":"\\udfff","private":1,"text":""}', "bad_frame"),
            ]
            for frame, code in sent:
                ws.send(frame)
                assert _next_error(ws)["code"] == code, frame
            ws.send(json.dumps({"type": "ping"}))
            assert json.loads(ws.recv(timeout=15))["type"] == "pong"  # still open

        for last_seq in (10**30, MAX_ID + 1, 2**31, -1, "1", True):
            with connect(f"{server.ws_url}/ws/conversations/{cid}") as ws:
                ws.send(json.dumps({"type": "auth", "token": token, "last_seq": last_seq}))
                assert _next_error(ws)["code"] == "bad_frame"
                assert _closed_with(ws) == 1008, last_seq
        with connect(f"{server.ws_url}/ws/conversations/{cid}") as ws:
            ws.send(json.dumps({"type": "auth", "token": token, "last_seq": 2**31 - 1}))
            assert json.loads(ws.recv(timeout=15))["type"] == "ready"

        operator = server.login("operator")
        with connect(f"{server.ws_url}/ws/operator") as ws:
            ws.send(json.dumps({"type": "auth", "token": operator, "last_seqs": {"1": 2**40}}))
            assert _next_error(ws)["code"] == "bad_frame"
            assert _closed_with(ws) == 1008
        with connect(f"{server.ws_url}/ws/operator") as ws:
            ws.send(json.dumps({"type": "auth", "token": operator}))
            assert json.loads(ws.recv(timeout=15))["type"] == "ready"
            for conversation_id in (10**30, MAX_ID + 1, 0, -5, True):
                ws.send(
                    json.dumps(
                        {
                            "type": "message",
                            "conversation_id": conversation_id,
                            "client_msg_id": "m",
                            "text": "x",
                        }
                    )
                )
                assert _next_error(ws)["code"] == "bad_frame", conversation_id
        assert "Traceback" not in server.log_path.read_text()
    finally:
        server.stop()
