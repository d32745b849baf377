"""«Личный кабинет» in the widget, in headless Chromium against a real server, on a 360 × 740
phone and on a desktop (issue 14, item 3, «Done when»): a visitor writes, logs in by phone
inside the widget and keeps the conversation; sees their orders; asks for a return the rule
accepts and one it refuses with the day the term ended; activates certificates until the
fourth of the day is refused with the time the limit lifts; and asks for a withdrawal with a
wrong BIK/account pair, then a right one. No screen is wider than the phone."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from marketdesk.services.certificates import issue_certificate
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.models import BalanceEntry, Order, OrderItem, OrderStatusEvent, utcnow
from marketdesk.store.postgres import create_database, drop_database
from tests.chat.servers import Server
from tests.chat.test_widget_browser import ARGS, CHROMIUM
from tests.conftest import PG_ENV
from tests.security.test_widget_logout_browser import _code

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CUSTOMER = 58561573  # the demo customer of +79000000001 (demo/seed.yaml)
EARPHONES = 235260644  # return terms 3 / 7 days, 12 months (seed 000's card)
SECRET = "account-browser-test-secret"
BIK = "049805746"
RIGHT_ACCOUNT = "40602810700000000025"  # the Bank of Russia's worked example for that BIK
WRONG_ACCOUNT = "40602810800000000025"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}

CASES = [("sqlite", PHONE), ("sqlite", DESKTOP)]
if os.environ.get(PG_ENV):
    CASES.append(("postgresql", PHONE))


@pytest.fixture(params=CASES, ids=lambda case: f"{case[0]}-{case[1]['width']}")
def setup(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Server, dict[str, int]]]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    backend, viewport = request.param
    name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'account.db'}"
    else:
        name = f"marketdesk_test_{uuid.uuid4().hex[:12]}"
        url = asyncio.run(create_database(os.environ[PG_ENV], name))
    running = Server(tmp_path, url, log_name="account", env={"MARKETDESK_SECRET_KEY": SECRET})
    running.start()
    try:
        yield running, viewport
    finally:
        running.stop()
        if name:
            asyncio.run(drop_database(os.environ[PG_ENV], name))


def _in_thread(main: Any) -> Any:
    """Playwright's sync API runs a loop in this thread: the database work gets its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def _prepare(server: Server) -> dict[str, Any]:
    """Two received orders of the demo customer (2 and 20 days ago), 500 ₽ of refunds, and
    four certificate codes."""

    async def main() -> dict[str, Any]:
        settings = Settings(database_url=server.database_url, secret_key=SECRET)
        database = Database(settings.async_database_url)
        try:
            async with database.sessions() as session:
                now = utcnow()
                for suffix, days in (("0101", 2), ("0102", 20)):
                    order = Order(
                        number=f"{CUSTOMER}-{suffix}",
                        customer_id=CUSTOMER,
                        status="completed",
                        delivery_type="pickup_point",
                        created_at=now - timedelta(days=days + 3),
                        total=194000,
                    )
                    session.add(order)
                    await session.flush()
                    session.add(
                        OrderItem(
                            order_id=order.id,
                            product_id=EARPHONES,
                            name="Беспроводные наушники Xiaomi Airdots 2",
                            quantity=1,
                            price=194000,
                        )
                    )
                    session.add(
                        OrderStatusEvent(
                            order_id=order.id, status="completed", at=now - timedelta(days=days)
                        )
                    )
                session.add(
                    BalanceEntry(customer_id=CUSTOMER, kind="rubles", amount=50000, source="refund")
                )
                await session.commit()
                codes = []
                for nominal in (500, 1000, 1500, 2000):
                    issued = await issue_certificate(
                        session,
                        nominal_rub=nominal,
                        kind="electronic",
                        secret=settings.hashing_secret(),
                    )
                    codes.append(issued.code)
                return {"codes": codes}
        finally:
            await database.dispose()

    return _in_thread(main)


def _fits(page: Any, viewport: dict[str, int]) -> None:
    """Nothing is wider than the screen: no sideways scrolling on the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width


def _login_keeping_the_conversation(page: Any, server: Server, expect: Any) -> None:
    page.fill("#text", "Здравствуйте, хочу вернуть наушники")
    page.click("#send")
    expect(page.locator(".msg--mine:not(.msg--pending)")).to_have_count(1, timeout=15000)
    before = page.evaluate("JSON.parse(localStorage.getItem('marketdesk.widget'))")
    expect(page.locator("#account-open")).to_be_hidden()  # a visitor has no account
    # a link to the account (as the bot gives) offers a visitor the login first
    page.evaluate("location.hash = '#account/orders'")
    expect(page.locator("#login-note")).to_have_text(
        "Войдите по номеру телефона, чтобы открыть личный кабинет."
    )
    page.fill("#phone", "8 900 000-00-01")
    page.get_by_role("button", name="Получить код").click()
    expect(page.locator("#code-form")).to_be_visible(timeout=15000)
    page.fill("#code", _code(server))
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.locator("#who")).to_have_text("Вы вошли", timeout=15000)
    after = page.evaluate("JSON.parse(localStorage.getItem('marketdesk.widget'))")
    assert after["kind"] == "customer" and after["token"] != before["token"]
    assert after["conversationId"] == before["conversationId"]  # the conversation is kept
    expect(page.locator("#messages")).to_contain_text("хочу вернуть наушники")


def _returns(page: Any, expect: Any) -> None:
    expect(page.locator("#account")).to_be_visible()  # the link's screen opened after the login
    expect(page.get_by_role("tab", name="Заказы")).to_have_attribute("aria-selected", "true")
    orders = page.locator("#account-body")
    recent = orders.locator(f'[data-order="{CUSTOMER}-0101"]')
    old = orders.locator(f'[data-order="{CUSTOMER}-0102"]')
    expect(recent).to_contain_text("Выполнен", timeout=15000)
    expect(recent).to_contain_text("Беспроводные наушники Xiaomi Airdots 2")
    expect(orders.locator(f'[data-order="{CUSTOMER}-0011"]')).to_contain_text("Выполнен")
    for card, expected in ((recent, r"Заявка на возврат RET-\d+ принята"), (old, None)):
        card.get_by_role("button", name="Вернуть товар").click()
        card.get_by_label("Причина возврата").select_option("proper_quality")
        card.get_by_role("button", name="Оформить возврат").click()
        if expected:
            expect(card.locator(".account__note--ok")).to_have_text(re.compile(expected))
    refusal = old.locator(".account__note--error")
    expect(refusal).to_contain_text("закончился", timeout=15000)
    assert re.search(r"закончился \d{2}\.\d{2}\.\d{4}", refusal.inner_text())


def _certificates(page: Any, codes: list[str], expect: Any) -> None:
    page.get_by_role("tab", name="Сертификаты").click()
    for index, code in enumerate(codes):
        form = page.locator("#certificate-form")
        expect(form).to_be_visible(timeout=15000)
        form.get_by_label("Код активации").fill(code)
        form.get_by_role("button", name="Активировать").click()
        if index < 3:
            expect(page.locator("#cert-list li")).to_have_count(index + 1, timeout=15000)
            expect(page.locator("#certificate-form .account__note--ok")).to_contain_text(
                "Сертификат активирован"
            )
    refusal = page.locator("#certificate-form .account__note--error")
    expect(refusal).to_contain_text("по московскому времени", timeout=15000)
    assert re.search(r"после \d{2}:\d{2}", refusal.inner_text())
    expect(page.locator("#account-body")).to_contain_text("активировано 3 из 3")


def _withdrawal(page: Any, expect: Any) -> None:
    page.get_by_role("tab", name="Баланс").click()
    body = page.locator("#account-body")
    expect(body.locator('[data-kind="rubles"]')).to_contain_text("Подарочный сертификат")
    expect(body.locator('[data-kind="rubles"]')).to_contain_text("Возврат за заказ")
    page.get_by_role("tab", name="Вывод средств").click()
    form = page.locator("#withdraw-form")
    expect(form).to_contain_text("Доступно для вывода: 500,00", timeout=15000)
    form.get_by_label("Сумма, ₽").fill("150")
    form.get_by_label("Получатель").fill("Анненко Александр")
    form.get_by_label("БИК банка").fill(BIK)
    form.get_by_label("Номер счёта").fill(WRONG_ACCOUNT)
    form.get_by_role("button", name="Вывести деньги").click()
    expect(form.locator(".account__note--error")).to_contain_text("не подходит к БИК")
    expect(form.get_by_label("Номер счёта")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Номер счёта").fill(RIGHT_ACCOUNT)
    form.get_by_role("button", name="Вывести деньги").click()
    done = page.locator("#withdraw-form .account__note--ok")
    expect(done).to_contain_text("принята", timeout=15000)
    expect(done).to_contain_text("•••• 0025")
    expect(page.locator("#wd-list li")).to_have_count(1)
    expect(page.locator("#withdraw-form")).to_contain_text("Доступно для вывода: 350,00")
    assert RIGHT_ACCOUNT not in page.locator("#account-body").inner_text()


def test_the_account_in_the_widget(setup: tuple[Server, dict[str, int]], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, viewport = setup
    data = _prepare(server)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=viewport, locale="ru-RU").new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            _login_keeping_the_conversation(page, server, expect)
            _returns(page, expect)
            _fits(page, viewport)
            page.screenshot(path=str(tmp_path / "orders.png"), full_page=True)
            _certificates(page, data["codes"], expect)
            _fits(page, viewport)
            page.screenshot(path=str(tmp_path / "certificates.png"), full_page=True)
            _withdrawal(page, expect)
            _fits(page, viewport)
            page.screenshot(path=str(tmp_path / "withdrawal.png"), full_page=True)
            account = page.get_by_role("button", name="Личный кабинет")
            account.click()
            expect(page.locator("#account")).to_be_hidden()
            account.click()
            expect(page.get_by_role("tab", name="Вывод средств")).to_have_attribute(
                "aria-selected", "true"
            )  # it opens where the customer left it
            assert errors == []
        finally:
            browser.close()
