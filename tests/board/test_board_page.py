"""The wallboard's page ``/console/board``: served like the console's other pages (a strict
policy, module scripts, its own stylesheet), in Russian."""

from __future__ import annotations

import re


def test_the_board_page_is_served_with_a_strict_policy(client):
    response = client.get("/console/board")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    html = response.text
    assert 'lang="ru"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", html)
    assert scripts and all('type="module"' in tag for tag in scripts)
    for text in (
        "Монитор поддержки",
        "Ждут оператора",
        "Операторы на линии",
        "Под угрозой SLA",
        "Бот решил сегодня",
        "Задачи бэк-офиса",
        "Низкие оценки",
    ):
        assert text in html


def test_the_board_static_files(client):
    for name, kind in (("board.js", "text/javascript"), ("board.css", "text/css")):
        response = client.get(f"/console/static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
