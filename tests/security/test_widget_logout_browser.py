"""The widget in headless Chromium: a visitor logs in by phone with the code the demo SMS
gateway delivered, the conversation moves over, then «Выйти» ends the session and the page
is a new visitor's."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from marketdesk.channels.sms import DEMO_LOG_NAME, read_demo_log
from tests.chat.servers import Server
from tests.chat.test_widget_browser import page, server

__all__ = ["page", "server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "+79000000001"  # the demo customer (demo/seed.yaml)


def _code(server: Server) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = [m.text for m in read_demo_log(server.data_dir / DEMO_LOG_NAME) if m.phone == PHONE]
        if texts:
            found = re.search(r"\b(\d{6})\b", texts[-1])
            assert found is not None
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError("no SMS reached the demo gateway")


def _state(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("JSON.parse(localStorage.getItem('marketdesk.widget')) || {}"))


def test_phone_login_and_logout_in_the_widget(server: Server, page: Any) -> None:
    from playwright.sync_api import expect

    messages = page.locator("#messages")
    page.fill("#text", "Вопрос до входа")
    page.click("#send")
    expect(messages.locator(".msg--mine:not(.msg--pending)")).to_have_count(1, timeout=15000)
    visitor = _state(page)["token"]
    expect(page.get_by_role("button", name="Выйти")).to_be_hidden()

    page.get_by_role("button", name="Войти по номеру телефона").click()
    page.fill("#phone", "8 900 000-00-01")
    page.get_by_role("button", name="Получить код").click()
    expect(page.locator("#code-form")).to_be_visible(timeout=15000)
    page.fill("#code", _code(server))
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.locator("#who")).to_have_text("Вы вошли", timeout=15000)
    customer = _state(page)["token"]
    assert customer != visitor
    # the visitor's token ended with the login
    assert server.get("/api/v1/auth/me", visitor).status_code == 401
    cid = _state(page)["conversationId"]
    assert server.get(f"/api/v1/conversations/{cid}", customer).status_code == 200

    page.get_by_role("button", name="Выйти").click()
    expect(page.locator("#who")).to_have_text("Гость", timeout=15000)
    expect(page.get_by_role("button", name="Войти по номеру телефона")).to_be_visible()
    expect(page.get_by_role("button", name="Выйти")).to_be_hidden()
    assert "token" not in _state(page) and "conversationId" not in _state(page)
    assert server.get("/api/v1/auth/me", customer).status_code == 401
    expect(messages.locator(".msg")).to_have_count(0)

    # a new question starts as a new visitor, in a new conversation
    page.fill("#text", "Вопрос после выхода")
    page.click("#send")
    expect(messages.locator(".msg--mine:not(.msg--pending)")).to_have_count(1, timeout=15000)
    after = _state(page)
    assert after["kind"] == "visitor" and after["token"] not in (visitor, customer)
    assert after["conversationId"] != cid
