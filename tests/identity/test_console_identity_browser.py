"""«Проверка личности» in the console's customer card (issue 14, item 5), in headless
Chromium at 1366×768: a miss, a match, then the customer's contacts told to them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.test_console_browser import (
    Console,
    browser_page,
    login,
    read_mandatory_news,
    server,
)

__all__ = ["browser_page", "server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CUSTOMER = 61900001


def test_the_operator_checks_the_codeword_in_the_card(server: Console, browser_page: Any) -> None:
    from playwright.sync_api import expect

    token = server.customer_token(CUSTOMER, full_name="Кодовая Анна Сергеевна")
    server.call("PUT", "/api/v1/me/codeword", token, json={"codeword": "Синий кит"})
    cid = server.waiting_conversation(token, "Подскажите, какой телефон привязан к аккаунту?")

    page = browser_page
    login(page, server)
    if page.locator("#mandatory-dialog").is_visible():
        read_mandatory_news(page)
    page.locator(f"#queue .item[data-conversation='{cid}'] .take").click()
    expect(page.locator("#identity-state")).to_contain_text("не проверена")
    expect(page.locator("#identity-actions")).to_be_hidden()

    page.fill("#identity-answer", "Красный кит")
    check = page.locator("#identity").get_by_role("button", name="Проверить слово")
    check.click()
    expect(page.locator("#identity-result")).to_have_text("Не совпадает. Осталось попыток: 4.")
    page.fill("#identity-answer", "синий  кит")
    check.click()
    expect(page.locator("#identity-result")).to_contain_text("Кодовое слово совпадает")
    expect(page.locator("#identity-state")).to_have_text("Личность подтверждена в этом диалоге.")
    assert "кит" not in page.inner_text("#identity").lower()

    page.get_by_role("button", name="Сообщить клиенту его контакты").click()
    expect(page.locator("#identity-result")).to_contain_text("Телефон:")
    server.call("POST", f"/api/v1/conversations/{cid}/close", token)
