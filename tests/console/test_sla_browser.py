"""The SLA clock in the console (issue 15 item 1), in headless Chromium against a real
server: a queued conversation shows the time left to its first response, an overdue one
«просрочено» in red, in the queue and in the open conversation's head. Deadlines are moved
by writing them into the past, not by waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from marketdesk.store.models import Conversation, utcnow
from tests.console import test_console_browser as console
from tests.console.test_console_browser import Console, login, read_mandatory_news

pytestmark = [pytest.mark.browser, pytest.mark.slow]
server = console.server  # the fixtures: a real server of this module's own, a browser page
browser_page = console.browser_page


def test_the_queue_and_the_head_show_the_sla_clock(server: Console, browser_page: Any) -> None:
    page = browser_page
    token = server.customer_token(58561573)
    on_time = server.waiting_conversation(token, "Где мой заказ?")
    late = server.waiting_conversation(token, "Почему так долго?")

    async def overdue(session: Any) -> None:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == late)
            .values(first_response_due_at=utcnow() - timedelta(minutes=2))
        )
        await session.commit()

    server.db(overdue)
    login(page, server)
    if page.locator("#mandatory-dialog").is_visible():
        read_mandatory_news(page)
    fresh = page.locator(f"#queue .item[data-conversation='{on_time}'] .sla")
    overrun = page.locator(f"#queue .item[data-conversation='{late}'] .sla")
    fresh.wait_for()
    overrun.wait_for()
    assert "Первый ответ: осталось" in fresh.inner_text()
    assert "sla-breached" not in (fresh.get_attribute("class") or "")
    assert "Первый ответ: просрочено на 2:" in overrun.inner_text()
    assert "sla-breached" in (overrun.get_attribute("class") or "")

    page.locator(f"#queue .item[data-conversation='{late}'] .item-open").click()
    page.wait_for_function(
        "() => (document.querySelector('#conv-sla')?.textContent || '').includes('просрочено')"
    )
    for cid in (on_time, late):
        server.call("POST", f"/api/v1/conversations/{cid}/close", token)
