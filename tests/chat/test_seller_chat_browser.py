"""The messages hub and the buyer ↔ seller chat in headless Chromium against a real server,
on a 360 × 740 phone and on a desktop (issue 14, items 1 and 2, «Done when»): a logged-in
customer sees «Сообщения» with the tabs «Поддержка» and «Продавцы», writes to the seller from
an order, the seller answers from the workspace «Покупатели» (the demo's `sellers` login),
the customer sees the answer, and the hub counts what is unread. The seller's message with a
phone number is refused with the guard's text; /messages opens the hub as a page."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from marketdesk.channels.sms import DEMO_LOG_NAME, read_demo_log
from marketdesk.services.auth import token_for_customer
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.postgres import create_database, drop_database
from tests.chat.servers import Server
from tests.chat.test_widget_browser import ARGS, CHROMIUM
from tests.conftest import PG_ENV

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "+79000000002"  # the demo customer 61000001 (demo/seed.yaml)
CUSTOMER = 61000001
ORDER = "61000001-0001"  # the earphones of Mi Store (FBO)
TOKEN_KEY = "marketdesk.console.token"
PHONE_VIEW = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}

CASES = [("sqlite", PHONE_VIEW), ("sqlite", DESKTOP)]
if os.environ.get(PG_ENV):
    CASES.append(("postgresql", PHONE_VIEW))


@pytest.fixture(params=CASES, ids=lambda case: f"{case[0]}-{case[1]['width']}")
def setup(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Server, dict[str, int]]]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    backend, viewport = request.param
    name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.db'}"
    else:
        name = f"marketdesk_test_{uuid.uuid4().hex[:12]}"
        url = asyncio.run(create_database(os.environ[PG_ENV], name))
    running = Server(tmp_path, url, log_name="hub")
    running.start()
    try:
        yield running, viewport
    finally:
        running.stop()
        if name:
            asyncio.run(drop_database(os.environ[PG_ENV], name))


def _texts(server: Server) -> list[str]:
    path = server.data_dir / DEMO_LOG_NAME
    return [m.text for m in read_demo_log(path) if m.phone == PHONE] if path.exists() else []


def _code(server: Server, before: int) -> str:
    """The code of the first SMS after the ``before`` ones already sent to the phone."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        texts = _texts(server)[before:]
        if texts:
            found = re.search(r"\b(\d{6})\b", texts[-1])
            assert found is not None
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError("no SMS reached the demo gateway")


def _customer_token(server: Server) -> str:
    async def main() -> str:
        database = Database(Settings(database_url=server.database_url).async_database_url)
        try:
            async with database.sessions() as session:
                return await token_for_customer(session, CUSTOMER, ttl=timedelta(hours=1))
        finally:
            await database.dispose()

    # in a thread of its own: Playwright's sync API runs an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _fits(page: Any, viewport: dict[str, int]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width


def _log_in(page: Any, server: Server, expect: Any) -> None:
    if page.locator("#login").is_hidden():
        page.click("#login-open")
    before = len(_texts(server))
    page.fill("#phone", PHONE)
    page.get_by_role("button", name="Получить код").click()
    expect(page.locator("#code-form")).to_be_visible(timeout=15000)
    page.fill("#code", _code(server, before))
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.locator("#who")).to_have_text("Вы вошли", timeout=15000)


def _seller_workspace(browser: Any, server: Server) -> Any:
    page = browser.new_context(viewport=DESKTOP, locale="ru-RU").new_page()
    page.goto(server.url + "/console/login")
    page.evaluate(f"t => sessionStorage.setItem('{TOKEN_KEY}', t)", server.login("sellers"))
    page.goto(server.url + "/console/sellers")
    return page


def _write_to_the_seller(page: Any, expect: Any) -> None:
    page.click("#account-open")
    card = page.locator(f'[data-order="{ORDER}"]')
    expect(card).to_be_visible(timeout=15000)
    card.get_by_role("button", name="Написать продавцу").click()
    expect(page.locator("#chat-title")).to_have_text("Чат с продавцом", timeout=15000)
    expect(page.locator("#messages")).to_contain_text("Mi Store", timeout=15000)
    page.fill("#text", "Подойдут ли наушники к iPhone?")
    page.click("#send")
    expect(page.locator(".msg--mine:not(.msg--pending)")).to_have_count(1, timeout=15000)


def _seller_answers(seller: Any, expect: Any) -> None:
    item = seller.locator("#buyers .sellers__item").first
    expect(item).to_contain_text("Смирнова Ольга", timeout=15000)
    expect(item.locator(".sellers__badge")).to_have_text("1")
    item.click()
    expect(seller.locator("#buyer-messages")).to_contain_text("Подойдут ли наушники к iPhone?")
    seller.fill("#buyer-text", "Позвоните мне: +7 916 123-45-67")
    seller.click("#buyer-send")
    expect(seller.locator("#buyer-error")).to_contain_text("нельзя обмениваться телефонами")
    seller.fill("#buyer-text", "Да, подойдут: Bluetooth 5.0.")
    seller.click("#buyer-send")
    expect(seller.locator("#buyer-messages")).to_contain_text("Bluetooth 5.0", timeout=15000)
    expect(seller.locator("#buyer-error")).to_be_hidden()


def test_the_hub_and_the_seller_chat(setup: tuple[Server, dict[str, int]]) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, viewport = setup
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=viewport, locale="ru-RU").new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            expect(page.locator("#hub-open")).to_be_hidden()  # a visitor has no hub
            page.fill("#text", "Где мой заказ?")
            page.click("#send")
            expect(page.locator(".msg--bot").first).to_be_visible(timeout=15000)
            _log_in(page, server, expect)
            page.click("#hub-open")
            tabs = page.locator("#hub-tabs")
            expect(tabs.get_by_role("tab", name=re.compile("Поддержка"))).to_be_visible()
            expect(tabs.get_by_role("tab", name=re.compile("Продавцы"))).to_be_visible()
            expect(page.locator("#hub-list")).to_contain_text("Общая линия поддержки")
            _fits(page, viewport)

            _write_to_the_seller(page, expect)
            _fits(page, viewport)
            seller = _seller_workspace(browser, server)
            _seller_answers(seller, expect)
            answer = page.locator(".msg--operator").filter(has_text="Bluetooth 5.0")
            expect(answer).to_contain_text("Продавец", timeout=15000)

            # back to the support dialogue; the seller writes again: «Продавцы» counts it
            page.click("#hub-open")
            page.locator("#hub-tabs [data-tab=support]").click()
            page.locator("#hub-list .hub__item").first.click()
            expect(page.locator("#chat-title")).to_have_text("Чат с поддержкой", timeout=15000)
            seller.fill("#buyer-text", "Кейс для наушников тоже есть в наличии.")
            seller.click("#buyer-send")
            expect(seller.locator("#buyer-messages")).to_contain_text("Кейс для наушников")
            page.click("#hub-open")
            sellers_tab = page.locator("#hub-tabs [data-tab=sellers]")
            expect(sellers_tab.locator(".hub__count")).to_have_text("1", timeout=20000)
            expect(page.locator("#hub-count")).to_have_text("1")
            sellers_tab.click()
            dialogue = page.locator("#hub-list .hub__item").first
            expect(dialogue).to_contain_text("Mi Store")
            expect(dialogue).to_contain_text("Кейс для наушников")
            dialogue.click()
            expect(page.locator("#messages")).to_contain_text("Кейс для наушников", timeout=15000)
            expect(page.locator("#hub-count")).to_be_hidden(timeout=15000)  # read now
            _fits(page, viewport)

            # the hub as a page, on another device: the same history
            other = browser.new_context(viewport=viewport, locale="ru-RU").new_page()
            other.goto(server.url + "/messages")
            expect(other.locator("#login-note")).to_contain_text("чтобы открыть сообщения")
            # the same customer logged in there (a session of its own; the code's resend
            # limit keeps this test from asking for a second SMS)
            widget = {"token": _customer_token(server), "kind": "customer"}
            other.evaluate(
                "w => localStorage.setItem('marketdesk.widget', JSON.stringify(w))", widget
            )
            other.reload()
            expect(other.locator("#hub")).to_be_visible(timeout=15000)
            other.locator("#hub-tabs [data-tab=sellers]").click()
            expect(other.locator("#hub-list")).to_contain_text("Mi Store", timeout=15000)
            _fits(other, viewport)
            assert errors == []
        finally:
            browser.close()
