"""«Управление» in headless Chromium against a real ``marketdesk serve`` (issue 16): the admin
publishes a mandatory news item and an operator logged in in another browser gets the
mandatory-news window at once; the admin edits an article so that the bot's evaluation drops,
sees the figures before and after, is refused, then saves it on confirming and rolls it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from marketdesk.settings import REPO_ROOT
from tests.conftest import DEMO_PASSWORD
from tests.console.test_console_browser import (
    Console,
    browser_page,
    login,
    read_mandatory_news,
    server,
)

__all__ = ["browser_page", "server"]  # the fixtures, shared with the console's browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "certificate_activation"
SEED = (REPO_ROOT / "content" / "kb" / f"{KEY}.md").read_text(encoding="utf-8")
BROKEN = """---
slug: certificate_activation
title: Как активировать подарочный сертификат
audience: customer
---
Обратитесь в поддержку.
"""


def _token(server: Console, who: str) -> str:
    response = httpx.post(
        server.url + "/api/v1/auth/login", json={"login": who, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def open_manage(page: Any, server: Console, who: str = "admin", tab: str = "news") -> str:
    token = _token(server, who)
    page.goto(server.url + "/console/login")
    page.evaluate("t => sessionStorage.setItem('marketdesk.console.token', t)", token)
    page.goto(server.url + "/console/manage#" + tab)
    page.wait_for_selector("body[data-ready]")
    return token


def test_a_mandatory_item_reaches_an_operator_logged_in_elsewhere(
    server: Console, browser_page: Any, tmp_path: Path
) -> None:
    admin = browser_page
    # the operator works in a browser of their own, the mandatory news of the demo read
    other = admin.context.browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ru-RU"
    )
    try:
        operator = other.new_page()
        operator.set_default_timeout(15_000)
        login(operator, server, "operator")
        read_mandatory_news(operator)

        open_manage(admin, server)
        admin.select_option("#n-kind", "promotion")
        admin.fill("#n-title", "Новые правила возврата купонов")
        admin.fill("#n-category", "Купоны")
        admin.fill("#n-body", "Условия: купон возвращается на счёт при отмене заказа.")
        admin.fill("#n-starts", "2026-12-10")
        admin.fill("#n-ends", "2026-12-31")
        admin.check("#n-mandatory")
        # the preview shows it as the operators will
        preview = admin.locator("#news-preview")
        assert "Новые правила возврата купонов" in preview.inner_text()
        assert "Обязательная" in preview.inner_text()
        assert admin.evaluate("document.documentElement.scrollWidth") <= 1366
        admin.screenshot(path=str(tmp_path / "manage-news.png"))
        admin.click("#news-save")
        admin.wait_for_function(
            "() => document.querySelector('#manage-status').textContent.includes('опубликована')"
        )
        admin.wait_for_selector("#news-items button.entry[aria-current=true]")

        # live: the operator's window opens without a reload
        dialog = operator.locator("#mandatory-dialog")
        dialog.wait_for(state="visible")
        assert "Новые правила возврата купонов" in dialog.inner_text()
        operator.keyboard.press("Escape")  # cannot be dismissed unread
        assert dialog.is_visible()
        dialog.locator(".mark-read").first.click()
        dialog.wait_for(state="hidden")
    finally:
        other.close()


def _version(server: Console, token: str) -> int:
    response = httpx.get(
        f"{server.url}/api/v1/content/articles/{KEY}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def test_an_article_edit_that_drops_the_evaluation_needs_a_confirmation(
    server: Console, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    token = open_manage(page, server, tab="articles")
    page.click(f"#articles-tree button.entry[data-key={KEY}]")
    page.wait_for_function(
        "() => document.querySelector('#a-text').value.includes('slug: certificate_activation')"
    )
    assert page.input_value("#a-text") == SEED
    before = _version(server, token)

    page.fill("#a-text", BROKEN)
    assert "Обратитесь в поддержку." in page.locator("#article-preview").inner_text()
    page.click("#article-save")
    # refused: the figures before and after, a drop marked, nothing stored
    page.wait_for_selector("#article-confirm:not([hidden])")
    assert "хуже" in page.locator("#article-error").inner_text()
    page.wait_for_selector("#article-figures td.worse")
    row = page.locator("#article-figures tr[data-measure=topic_correct]").first
    was = int(row.locator("td.before").inner_text().split()[0])
    now = int(row.locator("td.after").inner_text().split()[0])
    assert now < was
    assert _version(server, token) == before
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(tmp_path / "manage-article.png"))

    # confirmed: a new version, live, and listed with its author
    page.click("#article-confirm")
    page.wait_for_function(
        "() => document.querySelector('#manage-status').textContent.includes('Статья сохранена')"
    )
    assert _version(server, token) == before + 1
    page.wait_for_selector(f"#article-versions li[data-version='{before + 1}']")
    assert (
        "admin" in page.locator(f"#article-versions li[data-version='{before + 1}']").inner_text()
    )

    # rolled back to the seed file: no drop, no confirmation needed
    page.click("#article-versions li[data-version='0'] button.rollback")
    page.wait_for_function(
        "() => document.querySelector('#manage-status').textContent.includes('Возвращена')"
    )
    assert _version(server, token) == before + 2
    assert page.input_value("#a-text") == SEED


def test_hints_are_a_tree(server: Console, browser_page: Any) -> None:
    page = browser_page
    open_manage(page, server, tab="hints")
    assert page.locator("#articles-list-title").inner_text() == "Подсказки"
    sections = page.locator("#articles-tree > details > summary")
    assert sections.count() >= 3
    page.locator("#articles-tree > details").first.locator("summary").first.click()
    page.locator("#articles-tree > details").first.locator("details summary").first.click()
    page.locator("#articles-tree > details").first.locator("button.entry").first.click()
    page.wait_for_function(
        "() => document.querySelector('#a-text').value.includes('audience: operator')"
    )


def test_an_operator_is_refused(server: Console, browser_page: Any) -> None:
    page = browser_page
    open_manage(page, server, who="operator")
    assert "руководителям и администраторам" in page.locator("#manage-status").inner_text()
    assert page.locator("#tab-news").is_hidden()
