"""The bot on the customer's own data in the widget, in headless Chromium against a real
server (issue 14, item 6): the demo customer logs in by phone, asks «где мой заказ» and
gets their orders, then «активировать сертификат» and the code, and the certificate is
activated."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest

from tests.chat.servers import MARKETDESK, Server
from tests.chat.test_widget_browser import page, server
from tests.security.test_widget_logout_browser import _code as _sms_code

__all__ = ["page", "server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _certificate(server: Server, nominal: int) -> str:
    env = {**os.environ, "MARKETDESK_DATABASE_URL": server.database_url}
    data = str(server.data_dir)
    done = subprocess.run(
        [str(MARKETDESK), "certificate", "issue", "--nominal", str(nominal), "--data-dir", data],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}\b", done.stdout)
    assert found is not None, done.stdout
    return found.group(0)


def test_a_logged_in_customer_gets_their_orders_and_activates_a_certificate(
    server: Server, page: Any
) -> None:
    from playwright.sync_api import expect

    messages = page.locator("#messages")
    page.get_by_role("button", name="Войти по номеру телефона").click()
    page.fill("#phone", "8 900 000-00-01")
    page.get_by_role("button", name="Получить код").click()
    expect(page.locator("#code-form")).to_be_visible(timeout=15000)
    page.fill("#code", _sms_code(server))
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.locator("#who")).to_have_text("Вы вошли", timeout=15000)

    page.fill("#text", "где мой заказ")
    page.click("#send")
    bot = messages.locator(".msg--bot")
    expect(bot).to_have_count(1, timeout=15000)
    expect(bot.last).to_contain_text("58561573-0011")
    expect(bot.last).to_contain_text("Выполнен")

    page.fill("#text", "активировать сертификат")
    page.click("#send")
    expect(bot).to_have_count(2, timeout=15000)
    expect(bot.last).to_contain_text("код сертификата")

    page.fill("#text", _certificate(server, 1000))
    page.click("#send")
    expect(bot).to_have_count(3, timeout=15000)
    expect(bot.last).to_contain_text("Сертификат активирован: 1000")
