"""«Обратиться к руководству» in the widget (issue 20 item 8), in headless Chromium against a
real server whose first-response target is about a second (``MARKETDESK_SLA_POLICY``): the
button is not offered while the deadline runs, appears by itself once it has passed, and
escalates the conversation with a note telling the customer what happens next."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chat.servers import Server
from tests.chat.test_widget_browser import ARGS, CHROMIUM, _conversation_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]

POLICY = {"default": {"first_response": {"minutes": 0.05}}}  # 3 s


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    url = f"sqlite:///{tmp_path / 'escalation.db'}"
    running = Server(
        tmp_path, url, log_name="escalation", env={"MARKETDESK_SLA_POLICY": json.dumps(POLICY)}
    ).start()
    yield running
    running.stop()


def test_the_widget_offers_escalation_only_after_the_deadline(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page: Any = browser.new_context().new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            page.get_by_role("button", name="Как активировать подарочный сертификат?").click()
            expect(page.locator("#messages .msg--bot")).to_have_count(1, timeout=15000)
            cid = _conversation_id(page)
            escalate = page.get_by_role("button", name="Обратиться к руководству")
            assert not escalate.is_visible()  # the bot answers: no deadline runs
            page.get_by_role("button", name="Позвать оператора").click()
            # queued, nobody free: once the first-response deadline passes, the button
            # appears by itself (the view says when: escalation_available_from)
            expect(page.locator("#status")).to_contain_text("Ожидает оператора", timeout=15000)
            expect(escalate).to_be_visible(timeout=30000)
            escalate.click()
            expect(page.locator("#messages .msg--system", has_text="руководителю")).to_have_count(
                1, timeout=15000
            )
            expect(escalate).to_be_hidden()
            supervisor = server.login("supervisor")
            view = server.get(f"/api/v1/conversations/{cid}", supervisor).json()
            assert view["escalated_at"] is not None
            assert errors == []
        finally:
            browser.close()
