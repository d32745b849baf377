"""The widget in headless Chromium (issue 14, item 4): the customer is logged in on device A;
on device B they ask for the code «в чате «Безопасность»», read it on A (it arrives live),
enter it on B and are logged in; the list of devices shows both, and «Выйти на всех
устройствах» ends both."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.chat.servers import Server
from tests.chat.test_widget_browser import ARGS, CHROMIUM, server

__all__ = ["server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CUSTOMER = 58561573  # the demo customer (demo/seed.yaml)
PHONE = "+79000000001"
KEY = "marketdesk.widget"


def _customer_token(server: Server) -> str:
    """Device A logged in already (a session issued as its own login would)."""
    from marketdesk.services.auth import issue_token
    from marketdesk.store.db import Database

    async def main() -> str:
        url = server.database_url.replace("sqlite:///", "sqlite+aiosqlite:///")
        database = Database(url)
        try:
            async with database.sessions() as session:
                token = await issue_token(
                    session, customer_id=CUSTOMER, ttl=timedelta(hours=1), device="Chrome, Linux"
                )
                await session.commit()
                return token
        finally:
            await database.dispose()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API runs a loop in this thread
        return pool.submit(asyncio.run, main()).result()


def _state(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(f"JSON.parse(localStorage.getItem('{KEY}')) || {{}}"))


def test_a_code_from_the_security_chat_logs_in_device_b(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    token_a = _customer_token(server)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            errors: list[str] = []
            device_a = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
            device_a.on("pageerror", lambda exc: errors.append(str(exc)))
            device_a.goto(server.url + "/")
            stored = json.dumps({"token": token_a, "kind": "customer"})
            device_a.evaluate(f"localStorage.setItem('{KEY}', {json.dumps(stored)})")
            device_a.reload()
            expect(device_a.locator("#who")).to_have_text("Вы вошли", timeout=15000)
            # a question on A: its chat socket is open, the security chat arrives on it
            device_a.fill("#text", "Здравствуйте")
            device_a.click("#send")
            expect(device_a.locator(".msg--mine:not(.msg--pending)")).to_have_count(
                1, timeout=15000
            )
            device_a.get_by_role("button", name="Безопасность").click()
            expect(device_a.locator("#security")).to_be_visible()

            device_b = browser.new_context().new_page()
            device_b.on("pageerror", lambda exc: errors.append(str(exc)))
            device_b.goto(server.url + "/")
            device_b.get_by_role("button", name="Войти по номеру телефона").click()
            device_b.fill("#phone", "8 900 000-00-01")
            device_b.get_by_label("Код в чате «Безопасность»", exact=False).check()
            device_b.get_by_role("button", name="Получить код").click()
            expect(device_b.locator("#code-form")).to_be_visible(timeout=15000)
            expect(device_b.locator("#code-label")).to_have_text("Код из чата «Безопасность»")
            expect(device_b.locator("#login-note")).to_contain_text("Безопасность")

            message = device_a.locator("#security-chat .security__text").last
            expect(message).to_contain_text("Код для входа", timeout=15000)  # live, no reload
            found = re.search(r"\b(\d{6})\b", message.inner_text())
            assert found is not None
            device_b.fill("#code", found.group(1))
            device_b.get_by_role("button", name="Войти", exact=True).click()
            expect(device_b.locator("#who")).to_have_text("Вы вошли", timeout=15000)
            token_b = _state(device_b)["token"]
            assert token_b != token_a

            device_b.get_by_role("button", name="Безопасность").click()
            devices = device_b.locator("#security-devices li")
            expect(devices).to_have_count(2, timeout=15000)
            expect(devices.first).to_contain_text("это устройство")
            device_b.get_by_role("button", name="Выйти на всех устройствах").click()
            expect(device_b.locator("#who")).to_have_text("Гость", timeout=15000)
            for token in (token_a, token_b):
                assert server.get("/api/v1/auth/me", token).status_code == 401
            # device A's socket closed with its session; the widget is a guest's again
            expect(device_a.locator("#who")).to_have_text("Гость", timeout=30000)
            assert errors == []
        finally:
            browser.close()
