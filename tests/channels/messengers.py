"""Helpers of the Telegram and VK tests: an app pointed at the fake APIs, delivery rounds in
the app's own loop (``now`` advanced instead of sleeping), and reads of the stored side."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from marketdesk.server import create_app
from marketdesk.services import channels
from marketdesk.services.channels import DeliveryPolicy
from marketdesk.store.models import ChannelContact, ChannelDelivery, Conversation, Message
from tests.channels.conftest import ChannelEnv
from tests.conftest import TestDatabase, prepare

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"

TG_TOKEN = "123456789:AAFake-token_for_tests"
TG_SECRET = "tg-webhook-secret-9f3c"
VK_TOKEN = "vk1.a.fake-community-token"
VK_SECRET = "vk-callback-secret-51d2"
VK_CONFIRMATION = "3f8a1c2e"
VK_GROUP = 229_000_001

_message_ids = itertools.count(1)


def messenger_settings(tg_api: str, vk_api: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "telegram_token": TG_TOKEN,
        "telegram_secret": TG_SECRET,
        "telegram_api": tg_api,
        "vk_token": VK_TOKEN,
        "vk_secret": VK_SECRET,
        "vk_confirmation": VK_CONFIRMATION,
        "vk_api": vk_api,
        # the tests run the delivery rounds themselves (with their own ``now``)
        "channel_poll_seconds": 3600.0,
    }
    values.update(overrides)
    return values


@contextmanager
def running_app(db: TestDatabase, **settings: Any) -> Iterator[ChannelEnv]:
    app = create_app(db.settings(**settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ChannelEnv(db, client)


def new_database(make_database: Callable[[str], TestDatabase], backend: str) -> TestDatabase:
    db = make_database(backend)
    prepare(db.url)
    return db


def policy(env: ChannelEnv) -> DeliveryPolicy:
    return DeliveryPolicy(max_attempts=5, backoff_base=1.0, backoff_cap=30.0, data_dir=env.db.tmp)


def deliver(env: ChannelEnv, now: datetime | None = None) -> int:
    """One delivery round through the app's own adapters, in the app's loop."""

    async def work() -> int:
        async with env.state.database.sessions() as session:
            return await channels.deliver_due(
                session, env.state.channel_senders, policy=policy(env), now=now
            )

    return int(env.in_app(work))


def deliver_all(env: ChannelEnv, now: datetime | None = None) -> None:
    for _ in range(50):
        if not deliver(env, now):
            return
    raise AssertionError("deliveries never ran out")


def conversation_of(env: ChannelEnv, channel: str, address: str) -> Conversation | None:
    async def work(session: Any) -> Conversation | None:
        contact = await session.scalar(
            select(ChannelContact).where(
                ChannelContact.channel == channel, ChannelContact.address == address
            )
        )
        if contact is None:
            return None
        found: Conversation | None = await session.scalar(
            select(Conversation)
            .where(Conversation.channel_contact_id == contact.id)
            .order_by(Conversation.id.desc())
        )
        return found

    found: Conversation | None = env.run(work)
    return found


def contact_of(env: ChannelEnv, channel: str, address: str) -> ChannelContact:
    async def work(session: Any) -> ChannelContact:
        return await session.scalar(
            select(ChannelContact).where(
                ChannelContact.channel == channel, ChannelContact.address == address
            )
        )

    contact: ChannelContact = env.run(work)
    return contact


def wait_conversation(env: ChannelEnv, channel: str, address: str) -> Conversation:
    """The conversation a worker of the app makes (polling): fails after 20 s."""
    deadline = time.monotonic() + 20
    while (found := conversation_of(env, channel, address)) is None:
        assert time.monotonic() < deadline, "no conversation"
        time.sleep(0.05)
    return found


def messages(env: ChannelEnv, conversation_id: int) -> list[Message]:
    async def work(session: Any) -> list[Message]:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return list(rows)

    return list(env.run(work))


def deliveries(env: ChannelEnv, conversation_id: int) -> list[ChannelDelivery]:
    async def work(session: Any) -> list[ChannelDelivery]:
        rows = await session.scalars(
            select(ChannelDelivery)
            .where(ChannelDelivery.conversation_id == conversation_id)
            .order_by(ChannelDelivery.id)
        )
        return list(rows)

    return list(env.run(work))


def new_address() -> int:
    """A chat or peer id no other test uses."""
    return 100_000_000 + uuid.uuid4().int % 800_000_000


def tg_message(chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Иван"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Иван", "last_name": "Петров"},
    }
    if text is not None:
        message["text"] = text
    message.update(extra)
    return message
