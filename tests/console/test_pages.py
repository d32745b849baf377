"""The console's pages and static files, and what the console must not be able to do."""

from __future__ import annotations

import re

import pytest

from tests.conftest import auth
from tests.errors import assert_error


@pytest.mark.parametrize("path", ["/console", "/console/login"])
def test_pages_are_served_with_a_strict_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    html = response.text
    assert 'lang="ru"' in html
    # no inline script and no third-party code
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "http://" not in html and "https://" not in html


def test_the_console_has_every_part(client):
    html = client.get("/console").text
    for text in (
        "Очередь",
        "Мои диалоги",
        "Клиент",
        "Товар",
        "Новости",
        "Подсказки",
        "Все новости",
        "Непрочитанные",
        "Срочные",
        "Обязательные к прочтению",
        "Пометить все как прочитанные",
        "Сделать заявку",
        "Заметка",
    ):
        assert text in html


@pytest.mark.parametrize("name", ["console.js", "console.css", "login.js"])
def test_static_files(client, name):
    response = client.get(f"/console/static/{name}")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "name", ["missing.js", "..%2Fconsole.py", "console.py", ".hidden.js", "CONSOLE.JS"]
)
def test_no_other_files(client, name):
    response = client.get(f"/console/static/{name}")
    assert_error(response, 404, "not_found")


def test_scripts_never_write_html():
    from marketdesk.api.console import CONSOLE_DIR

    for path in (CONSOLE_DIR / "static").glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path.name} uses {sink}"


@pytest.mark.parametrize("who", ["operator", "supervisor", "admin", "backoffice"])
def test_an_operator_cannot_activate_a_certificate_for_a_customer(client, tokens, issue_code, who):
    """Seed 000: «Сотруднику КЦ запрещено самостоятельно активировать» — not in the console,
    not in the API."""
    code = issue_code(500)
    response = client.post(
        "/api/v1/me/certificates/activate", json={"code": code}, headers=auth(tokens[who])
    )
    assert response.status_code == 403
    for route in client.app.routes:
        path = getattr(route, "path", "")
        if "activate" in path:
            assert path.startswith("/api/v1/me/"), path  # only the customer's own endpoint
