"""The widget's «Оценка сервиса» in headless Chromium on a 360-px phone: after the resolve it
asks once for stars and a comment; a low rating reaches the supervisors' review list; after
a reload it does not ask again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chat.servers import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    running = Server(tmp_path, f"sqlite:///{tmp_path / 'survey.db'}", log_name="survey").start()
    yield running
    running.stop()


@pytest.fixture
def page(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 640}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            yield page
            assert errors == []
        finally:
            browser.close()


def test_the_survey_asks_once_and_a_low_rating_reaches_the_supervisors(
    server: Server, page: Any
) -> None:
    from playwright.sync_api import expect

    operator = server.login("operator")
    response = httpx.put(
        server.url + "/api/v1/operator/availability",
        json={"available": True},
        headers={"Authorization": f"Bearer {operator}"},
    )
    assert response.status_code == 200
    page.get_by_role("button", name="Где мой заказ?").click()
    expect(page.locator("#messages .msg--bot")).to_have_count(1, timeout=15000)
    page.get_by_role("button", name="Позвать оператора").click()
    expect(page.locator("#status")).to_contain_text("Оператор в чате", timeout=15000)
    state = page.evaluate("JSON.parse(localStorage.getItem('marketdesk.widget'))")
    cid = int(state["conversationId"])
    expect(page.locator("#rating")).to_be_hidden()

    assert server.post(f"/api/v1/conversations/{cid}/resolve", operator).status_code == 200
    survey = page.locator("#rating")
    expect(survey).to_be_visible(timeout=15000)
    expect(page.locator("#rating-form")).to_be_hidden()
    page.get_by_role("radio", name="2 из 5").click()
    expect(page.locator("#rating-form")).to_be_visible()
    assert page.locator(".star--on").count() == 2
    page.fill("#rating-comment", "Долго ждал ответа")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Отправить оценку").click()
    expect(page.locator("#rating-note")).to_have_text("Спасибо за оценку!", timeout=15000)
    expect(page.locator("#rating-form")).to_be_hidden()
    assert page.get_by_role("radio", name="5 из 5").is_disabled()

    supervisor = server.login("supervisor")
    reviews = server.get("/api/v1/rating-reviews", supervisor).json()["reviews"]
    mine = [r for r in reviews if r["conversation_id"] == cid]
    assert [(r["rating"], r["comment"]) for r in mine] == [(2, "Долго ждал ответа")]

    page.reload()
    expect(page.locator("#messages .msg").first).to_be_visible(timeout=15000)
    expect(page.locator("#status")).to_contain_text("решён", timeout=15000)
    expect(survey).to_be_hidden()
