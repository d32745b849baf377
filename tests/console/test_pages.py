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


def _scripts() -> list[str]:
    from marketdesk.api.console import CONSOLE_DIR

    web = CONSOLE_DIR.parent / "static"
    console = [f"/console/static/{p.name}" for p in sorted((CONSOLE_DIR / "static").glob("*.js"))]
    return console + [f"/static/{p.relative_to(web).as_posix()}" for p in sorted(web.rglob("*.js"))]


@pytest.mark.parametrize("path", _scripts())
def test_every_script_is_served_as_a_module_can_load_it(client, path):
    """A module script with another MIME type does not run; a cached old module next to a new
    one would break the imports between them: every script is asked again on each load."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"


def test_every_import_names_a_script_that_is_served(client):
    """The modules import one another by URL; each import resolves to a served script."""
    served = set(_scripts())
    for path in served:
        source = client.get(path).text
        for target in re.findall(r'^(?:import|export)\b[^;]*?from "([^"]+)";', source, re.M | re.S):
            url = target if target.startswith("/") else path.rsplit("/", 1)[0] + "/" + target[2:]
            assert target.startswith(("/", "./")) and url in served, f"{path} imports {target}"


@pytest.mark.parametrize("path", ["/console", "/console/login", "/console/audit", "/"])
def test_pages_load_their_scripts_as_modules(client, path):
    scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", client.get(path).text)
    assert scripts
    assert all('type="module"' in tag for tag in scripts), scripts


@pytest.mark.parametrize(
    "name", ["missing.js", "..%2Fconsole.py", "console.py", ".hidden.js", "CONSOLE.JS"]
)
def test_no_other_files(client, name):
    response = client.get(f"/console/static/{name}")
    assert_error(response, 404, "not_found")


def test_scripts_never_write_html():
    from marketdesk.api.console import CONSOLE_DIR

    scripts = [
        *(CONSOLE_DIR / "static").glob("*.js"),
        *(CONSOLE_DIR.parent / "static").rglob("*.js"),
    ]
    assert len(scripts) > 10
    for path in scripts:
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
