"""«Управление: сотрудники и структура» in headless Chromium against a real ``marketdesk
serve`` (issue 16, «Done when»): the admin logs in, adds an operator on /console/people; the
operator logs in, turns on the second factor with a code (made here with pyotp), and then
logs in with the password and the code. A supervisor sees the page read-only. 1366×768."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.chat.servers import Server
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
NEW_PASSWORD = "new-operator-password"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    running = Server(tmp_path, f"sqlite:///{tmp_path / 'people.db'}", log_name="people").start(
        timeout=240  # a loaded machine starts slowly
    )
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


def new_page(browser: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(40_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def log_in(page: Any, server: Server, login: str, password: str) -> None:
    page.goto(server.url + "/console/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#login-submit")


def go_by_link(page: Any, server: Server) -> None:
    """Follow the top bar's link (by its address: the console may show the mandatory news
    window over it)."""
    href = page.locator("#people-link").get_attribute("href")
    assert href == "/console/people"
    page.goto(server.url + href)


def fits(page: Any) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 768


def test_admin_adds_an_operator_who_logs_in_with_totp(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=40_000)  # a loaded machine
    # the admin: the console's top bar leads to «Управление»
    admin, admin_errors = new_page(browser)
    log_in(admin, server, "admin", DEMO_PASSWORD)
    expect(admin.locator("#people-link")).to_have_text("Сотрудники")
    go_by_link(admin, server)
    expect(admin.locator("h1")).to_have_text("Управление: сотрудники и структура")
    expect(admin.locator("#staff-rows tr[data-login=admin]")).to_be_visible(timeout=15000)
    fits(admin)

    admin.fill("#s-login", "ivanova")
    admin.fill("#s-name", "Иванова Мария")
    admin.fill("#s-password", NEW_PASSWORD)
    admin.check("#s-roles input[value=operator]")
    admin.check("#s-lines input[value=general]")
    admin.fill("#s-capacity", "4")
    admin.click("#s-save")
    expect(admin.locator("#people-status")).to_have_text("Сотрудник ivanova добавлен.")
    row = admin.locator("#staff-rows tr[data-login=ivanova]")
    expect(row).to_contain_text("Иванова Мария")
    expect(row).to_contain_text("Оператор")
    expect(row.locator("td").nth(6)).to_have_text("нет")

    # the calendar tab shows Russia's public holidays
    admin.click("#tab-calendar")
    admin.fill("#c-year", "2027")
    admin.dispatch_event("#c-year", "change")
    expect(admin.locator("#calendar-rows tr[data-date='2027-06-14']")).to_contain_text(
        "День России"
    )
    fits(admin)

    # the new operator logs in with the password and turns the second factor on
    operator, operator_errors = new_page(browser)
    log_in(operator, server, "ivanova", NEW_PASSWORD)
    expect(operator.locator("#people-link")).to_have_text("Вход по коду")
    go_by_link(operator, server)
    expect(operator.locator("#tab-staff")).to_be_hidden()
    operator.click("#totp-start")
    expect(operator.locator("#totp-secret")).to_have_text(re.compile(r"^[A-Z2-7]{16,}$"))
    secret = operator.locator("#totp-secret").inner_text().strip()
    assert len(secret) >= 16
    totp = pyotp.TOTP(secret)
    operator.fill("#totp-code", totp.now())
    operator.click("#totp-form button[type=submit]")
    expect(operator.locator("#totp-state")).to_contain_text("подключён")
    expect(operator.locator("#totp-secret")).to_have_text("")
    fits(operator)

    # the next login needs the code: the login page asks for it, then lets them in
    fresh, fresh_errors = new_page(browser)
    log_in(fresh, server, "ivanova", NEW_PASSWORD)
    expect(fresh.locator("#totp-step")).to_be_visible(timeout=15000)
    expect(fresh.locator("#login-error")).to_contain_text("код из приложения")
    fresh.fill("#totp-code", "000000" if totp.now() != "000000" else "111111")
    fresh.click("#login-submit")
    expect(fresh.locator("#login-error")).to_contain_text("Неверный код")
    fresh.fill("#totp-code", totp.at(time.time() + 30))  # a step after the confirmation's
    fresh.click("#login-submit")
    fresh.wait_for_url(server.url + "/console")
    expect(fresh.locator("#me")).to_have_text("Иванова Мария")

    admin.click("#tab-staff")
    admin.reload()
    expect(admin.locator("#staff-rows tr[data-login=ivanova] td").nth(6)).to_have_text("да")
    assert admin_errors == operator_errors == fresh_errors == []


def test_a_supervisor_reads_the_page_and_may_force_a_logout(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=40_000)  # a loaded machine
    page, errors = new_page(browser)
    log_in(page, server, "supervisor", DEMO_PASSWORD)
    expect(page.locator("#people-link")).to_have_text("Сотрудники")
    page.goto(server.url + "/console/people")
    expect(page.locator("#people-readonly")).to_be_visible(timeout=15000)
    expect(page.locator("#staff-form")).to_be_hidden()
    row = page.locator("#staff-rows tr[data-login=operator]")
    expect(row).to_be_visible()
    expect(row.get_by_role("button", name="Изменить")).to_have_count(0)
    operator_token = server.login("operator")
    row.get_by_role("button", name="Завершить сеансы").click()
    expect(page.locator("#people-status")).to_contain_text("Сеансы operator завершены")
    assert server.get("/api/v1/auth/me", operator_token).status_code == 401
    page.click("#tab-lines")
    expect(page.locator("#line-rows tr[data-line=general] input[type=time]").first).to_be_disabled()
    fits(page)
    assert errors == []
