"""The wallboard in headless Chromium against a real ``marketdesk serve``: a supervisor's
board changes live, without a reload, when a visitor starts a chat and when it waits for an
operator (issue 15, «Done when»)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chat.servers import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
TOKEN_KEY = "marketdesk.console.token"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    running = Server(
        tmp_path,
        f"sqlite:///{tmp_path / 'board.db'}",
        log_name="board",
        env={"MARKETDESK_BOARD_PUSH_SECONDS": "2"},
    ).start()
    yield running
    running.stop()


@pytest.fixture
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_board(server: Server, browser: Any, login: str) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/console/login")
    page.evaluate(f"t => sessionStorage.setItem('{TOKEN_KEY}', t)", server.login(login))
    page.goto(server.url + "/console/board")
    return page, errors


def number(page: Any, selector: str) -> int:
    return int(page.locator(selector).inner_text())


def test_the_wallboard_changes_live_when_a_visitor_starts_a_chat(
    server: Server, browser: Any
) -> None:
    from playwright.sync_api import expect

    page, errors = open_board(server, browser, "supervisor")
    expect(page.locator("#live")).to_have_text("на связи", timeout=15000)
    expect(page.locator("#created-today")).not_to_have_text("—", timeout=15000)
    expect(page.locator("#lines tr")).to_have_count(3)  # every line, the web chat at least
    created, bot, waiting = (
        number(page, "#created-today"),
        number(page, "#bot"),
        number(page, "#waiting"),
    )
    page.evaluate("() => { window.__same_page = true; }")

    # a visitor starts a chat: the bot has it, today has one more conversation
    visitor = server.visitor()
    started = server.post("/api/v1/conversations", visitor, {})
    assert started.status_code == 201, started.text
    cid = started.json()["id"]
    expect(page.locator("#created-today")).to_have_text(str(created + 1), timeout=15000)
    expect(page.locator("#bot")).to_have_text(str(bot + 1), timeout=15000)
    expect(page.locator("#contained")).to_have_text(str(number(page, "#created-today")))

    # it asks for a person: it waits in the queue (nobody takes chats in the demo at start)
    assert server.post(f"/api/v1/conversations/{cid}/handoff", visitor).status_code == 200
    expect(page.locator("#waiting")).to_have_text(str(waiting + 1), timeout=15000)
    expect(page.locator("#longest-wait")).not_to_have_text("—")
    expect(page.locator("#bot")).to_have_text(str(bot))

    assert page.evaluate("() => window.__same_page") is True  # no reload happened
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    tile = page.locator("#tile-waiting").bounding_box()
    assert tile is not None and tile["y"] + tile["height"] <= 768
    assert errors == []


def test_an_operator_is_told_the_board_is_for_supervisors(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    page, errors = open_board(server, browser, "operator")
    expect(page.locator("#board-error")).to_contain_text("старшим смены", timeout=15000)
    assert page.locator("#waiting").inner_text() == "—"
    assert errors == []
