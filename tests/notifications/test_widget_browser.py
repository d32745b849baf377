"""The widget's notification settings and centre in headless Chromium against a real server:
the customer logs in, switches marketing off in the settings (orders, which cannot be switched
off everywhere, keep their last channel disabled with the reason), and an order's
notification arrives live in the centre, with the unread count; opening the list reads it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services import notifications
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.models import Notification
from tests.chat.servers import Server
from tests.chat.test_widget_browser import ARGS, CHROMIUM
from tests.security.test_widget_logout_browser import _code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CUSTOMER = 58561573  # the demo customer of +79000000001 (demo/seed.yaml)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    url = f"sqlite:///{tmp_path / 'widget.db'}"
    # the test raises notifications from its own process: the server's worker looks often
    env = {"MARKETDESK_SMS_RETRY_SECONDS": "0.3"}
    running = Server(tmp_path, url, log_name="widget", env=env).start()
    yield running
    running.stop()


def _in_thread(main: Any) -> Any:
    """Playwright's sync API runs a loop in this thread: the database work gets its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _raise(server: Server, event: str, data: dict[str, str], key: str) -> list[str]:
    async def main() -> list[str]:
        database = Database(Settings(database_url=server.database_url).async_database_url)
        try:
            async with database.sessions() as session:
                rows = await notifications.notify(
                    session, event=event, data=data, idempotency_key=key, customer_id=CUSTOMER
                )
                channels = [row.channel for row in rows]
                await session.commit()
                return channels
        finally:
            await database.dispose()

    return _in_thread(main)


def _marketing_rows(server: Server) -> int:
    async def main() -> int:
        database = Database(Settings(database_url=server.database_url).async_database_url)
        try:
            async with database.sessions() as session:
                rows = await session.scalars(
                    select(Notification.id).where(
                        Notification.customer_id == CUSTOMER, Notification.type == "marketing"
                    )
                )
                return len(list(rows))
        finally:
            await database.dispose()

    return _in_thread(main)


def test_marketing_off_in_the_widget_and_a_centre_item_arrives_live(
    server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context().new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            _scenario(page, server, expect)
            assert errors == []
        finally:
            browser.close()


def _login(page: Any, server: Server, expect: Any) -> None:
    expect(page.locator("#centre-open")).to_be_hidden()  # a visitor has no centre
    page.fill("#text", "Здравствуйте")
    page.click("#send")
    expect(page.locator(".msg--mine:not(.msg--pending)")).to_have_count(1, timeout=15000)
    page.get_by_role("button", name="Войти по номеру телефона").click()
    page.fill("#phone", "8 900 000-00-01")
    page.get_by_role("button", name="Получить код").click()
    expect(page.locator("#code-form")).to_be_visible(timeout=15000)
    page.fill("#code", _code(server))
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.locator("#who")).to_have_text("Вы вошли", timeout=15000)


def _switch_marketing_off(page: Any, expect: Any) -> None:
    page.get_by_role("button", name="Настройки уведомлений").click()
    table = page.locator("#settings-table")
    expect(table.locator("input")).to_have_count(36, timeout=15000)
    for channel in ("push", "email"):
        box = table.locator(f'input[data-type="marketing"][data-channel="{channel}"]')
        expect(box).to_be_checked()
        box.uncheck()
        expect(page.locator("#settings-note")).to_have_text("Сохранено.", timeout=15000)
    expect(table.locator('input[data-type="marketing"]:checked')).to_have_count(0)
    # orders may not be switched off everywhere: down to one channel, it is disabled
    for channel in ("sms", "push", "email"):
        table.locator(f'input[data-type="orders"][data-channel="{channel}"]').uncheck()
        expect(page.locator("#settings-note")).to_have_text("Сохранено.", timeout=15000)
    last = table.locator('input[data-type="orders"][data-channel="center"]')
    expect(last).to_be_checked()
    expect(last).to_be_disabled()
    assert "нельзя отключить во всех каналах" in (last.get_attribute("title") or "")
    expect(table).to_contain_text("Нельзя отключить полностью")


def _scenario(page: Any, server: Server, expect: Any) -> None:
    _login(page, server, expect)
    expect(page.locator("#centre-open")).to_be_visible()
    expect(page.locator("#centre-count")).to_be_hidden()
    _switch_marketing_off(page, expect)

    # the server now writes no marketing for this customer, and the order goes to the centre
    promo = {"title": "Скидки недели", "text": "До −30 % на технику"}
    assert _raise(server, "promotion", promo, "browser-promo") == []
    assert _marketing_rows(server) == 0
    order = {"order": "58561573-0011", "amount": "1 649"}
    assert _raise(server, "order_receipt", order, "browser-receipt") == ["center"]

    expect(page.locator("#centre-count")).to_have_text("1", timeout=20000)
    page.locator("#centre-open").click()
    item = page.locator("#centre-list .centre__item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Чек по заказу 58561573-0011")
    expect(item).to_contain_text("1 649 ₽")
    expect(page.locator("#centre-count")).to_be_hidden(timeout=15000)  # read once opened
    token = page.evaluate("JSON.parse(localStorage.getItem('marketdesk.widget')).token")
    listed = server.get("/api/v1/me/notifications", token).json()
    assert listed["unread"] == 0 and listed["items"][0]["read"] is True
    # the customer's widget registered its service worker (push)
    scope = page.evaluate(
        "navigator.serviceWorker.getRegistration('/static/widget/').then(r => r && r.scope)"
    )
    assert scope is not None and scope.endswith("/static/widget/")
