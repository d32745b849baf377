"""Headers and the spec (issue 18): who may frame the widget and the console, where pages may
connect, the API docs from the installed package under a CSP, and an OpenAPI document that
lists every status a route answers."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.api.csp import embed_origins
from marketdesk.server import create_app
from tests.errors import assert_error

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _directives(csp: str) -> dict[str, list[str]]:
    result = {}
    for part in csp.split(";"):
        name, *values = part.split()
        result[name] = values
    return result


def _app_client(demo_db: TestDatabase, **overrides: Any) -> Iterator[TestClient]:
    with TestClient(create_app(demo_db.settings(**overrides)), raise_server_exceptions=False) as c:
        yield c


# ---------------------------------------------------------------------- framing, connect-src
def test_the_widget_may_be_framed_only_by_its_own_site_by_default(client: TestClient) -> None:
    response = client.get("/")
    csp = _directives(response.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'self'"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_the_widget_may_be_framed_by_the_listed_sites(demo_db: TestDatabase) -> None:
    for client in _app_client(
        demo_db, widget_embed_origins="https://shop.example, https://*.market.example:8443"
    ):
        response = client.get("/")
        csp = _directives(response.headers["content-security-policy"])
        assert csp["frame-ancestors"] == [
            "'self'",
            "https://shop.example",
            "https://*.market.example:8443",
        ]
        assert "x-frame-options" not in response.headers  # it cannot list sites


@pytest.mark.parametrize(
    "value", ["shop.example", "https://a.example; script-src *", "'unsafe-inline'", "*"]
)
def test_an_embed_origin_that_is_not_a_site_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="MARKETDESK_WIDGET_EMBED_ORIGINS"):
        embed_origins(value)


def test_the_console_may_not_be_framed(client: TestClient) -> None:
    for path in ("/console", "/console/login"):
        response = client.get(path)
        assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == [
            "'none'"
        ]
        assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/console", "/console/login"])
def test_pages_connect_only_to_their_own_origin(client: TestClient, path: str) -> None:
    csp = _directives(client.get(path).headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]


def test_a_host_header_cannot_inject_into_the_policy(client: TestClient) -> None:
    response = client.get("/", headers={"host": "evil.example; script-src *"})
    csp = _directives(response.headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]


# ---------------------------------------------------------------------- the API docs
def test_the_docs_come_from_this_server_under_a_csp(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "cdn" not in response.text.lower()
    assert 'src="/docs/static/swagger-ui-bundle.js"' in response.text
    csp = _directives(response.headers["content-security-policy"])
    assert csp["script-src"][0] == "'self'"
    assert all(re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", s) for s in csp["script-src"][1:])
    assert csp["frame-ancestors"] == ["'none'"]
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    redoc = client.get("/redoc")
    assert redoc.status_code == 200
    assert "fonts.googleapis" not in redoc.text
    assert 'src="/docs/static/redoc.standalone.js"' in redoc.text
    assert "content-security-policy" in redoc.headers


def test_the_docs_can_be_turned_off(demo_db: TestDatabase) -> None:
    for client in _app_client(demo_db, api_docs=False):
        for path in ("/docs", "/redoc", "/docs/static/swagger-ui-bundle.js"):
            response = client.get(path)
            assert_error(response, 404, "not_found")
        assert client.get("/openapi.json").status_code == 200  # for tools


# ---------------------------------------------------------------------- the spec
def test_the_spec_documents_every_status(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
    send = spec["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    assert set(send["responses"]) >= {
        "200", "201", "401", "403", "404", "409", "413", "422", "429", "503"
    }  # fmt: skip
    assert send["security"] == [{"bearer": []}]
    error = send["responses"]["422"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert "Retry-After" in send["responses"]["429"]["headers"]
    assert set(spec["paths"]["/healthz"]["get"]["responses"]) == {"200", "503"}
    assert "401" in spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "404" in spec["paths"]["/api/v1/guard/check"]["post"]["responses"]  # customer_id
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "503" in operation["responses"]


# ---------------------------------------------------------------------- in Chromium
CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
@pytest.mark.slow
def test_swagger_ui_renders_under_its_csp(
    demo_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    from tests.chat.servers import Server
    from tests.chat.test_widget_browser import ARGS

    server = Server(tmp_path_factory.mktemp("docs"), demo_db.url, log_name="docs").start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda exc: problems.append(str(exc)))
                page.on(
                    "console",
                    lambda msg: problems.append(msg.text) if msg.type == "error" else None,
                )
                page.goto(server.url + "/docs")
                page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
                assert "marketdesk" in page.inner_text(".swagger-ui .info .title")
                page.wait_for_selector(".opblock", timeout=20_000)
                page.goto(server.url + "/redoc")
                page.wait_for_selector("h1", timeout=20_000)
                # ReDoc's footer logo lives on its CDN: the policy blocks it, as it should
                foreign = "Loading the image 'https://cdn.redoc.ly/"
                assert [text for text in problems if not text.startswith(foreign)] == []
            finally:
                browser.close()
    finally:
        server.stop()
