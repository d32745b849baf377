"""The outside channels in the console (issue 12), in headless Chromium against a real server:
a Telegram conversation shows its channel in the head and, next to each message that goes out
through it, where it stands; «не доставлено» has «Повторить», which makes it due again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from marketdesk.store.models import (
    ChannelContact,
    ChannelDelivery,
    Conversation,
    Message,
    Visitor,
    utcnow,
)
from tests.console import test_console_browser as console
from tests.console.test_console_browser import Console, login, read_mandatory_news, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]
server = console.server
browser_page = console.browser_page


def _telegram_conversation(server: Console) -> tuple[int, int]:
    """A queued Telegram conversation: the customer's question, the bot's answer (delivered)
    and a system note whose delivery failed. → (conversation id, the failed delivery's id)."""

    async def work(session: Any) -> tuple[int, int]:
        now = utcnow()
        visitor = Visitor(id=str(uuid.uuid4()), created_at=now)
        session.add(visitor)
        await session.flush()
        contact = ChannelContact(
            channel="telegram",
            address=str(uuid.uuid4().int % 10**9),
            display_name="Иван",
            visitor_id=visitor.id,
            extra={},
        )
        session.add(contact)
        await session.flush()
        conversation = Conversation(
            visitor_id=visitor.id,
            line="general",
            channel="telegram",
            channel_contact_id=contact.id,
            status="queued",
            last_seq=3,
            queued_at=now,
            created_at=now,
            updated_at=now,
            extra={},
        )
        session.add(conversation)
        await session.flush()
        rows = [
            Message(
                conversation_id=conversation.id,
                seq=1,
                sender_kind="visitor",
                text="Где мой заказ?",
                extra={"channel": "telegram"},
                created_at=now,
            ),
            Message(
                conversation_id=conversation.id,
                seq=2,
                sender_kind="bot",
                text="Статус заказа виден в разделе «Мои заказы».",
                extra={},
                created_at=now,
            ),
            Message(
                conversation_id=conversation.id,
                seq=3,
                sender_kind="system",
                text="Диалог передан оператору.",
                extra={},
                created_at=now,
            ),
        ]
        session.add_all(rows)
        await session.flush()
        sent = ChannelDelivery(
            message_id=rows[1].id,
            conversation_id=conversation.id,
            channel="telegram",
            status="sent",
            attempts=1,
            sent_at=now,
        )
        failed = ChannelDelivery(
            message_id=rows[2].id,
            conversation_id=conversation.id,
            channel="telegram",
            status="failed",
            attempts=10,
            error="ConnectionError: сервер недоступен",
            failed_at=now,
        )
        session.add_all([sent, failed])
        await session.commit()
        return conversation.id, failed.id

    result: tuple[int, int] = server.db(work)
    return result


def test_a_telegram_conversation_shows_its_channel_and_deliveries(
    server: Console, browser_page: Any
) -> None:
    page = browser_page
    cid, failed_id = _telegram_conversation(server)
    login(page, server)
    if page.locator("#mandatory-dialog").is_visible():
        read_mandatory_news(page)
    item = page.locator(f"#queue .item[data-conversation='{cid}'] .item-open")
    item.wait_for()
    item.click()
    wait_text(page, "#conv-meta", "Telegram")
    page.locator(".tag.delivery-sent").wait_for()
    assert page.locator(".tag.delivery-sent").inner_text() == "доставлено"
    failed = page.locator(".tag.delivery-failed")
    assert failed.inner_text() == "не доставлено"
    assert "сервер недоступен" in (failed.get_attribute("title") or "")
    # the customer's own message has no mark: it came from the channel
    assert page.locator(".msg.visitor .tag.delivery").count() == 0

    page.get_by_role("button", name="Повторить").click()
    page.locator(".tag.delivery-pending").wait_for()
    assert page.locator(".tag.delivery-failed").count() == 0

    async def status(session: Any) -> str:
        row = await session.get(ChannelDelivery, failed_id)
        return str(row.status)

    assert server.db(status) == "pending"
