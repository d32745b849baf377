"""Telegram's long polling (``MARKETDESK_TELEGRAM_MODE=polling``) run by the server itself
against a local Bot API server, with the delivery worker sending the bot's answers; the
offset kept across a restart; and ``check_telegram``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from marketdesk.channels.telegram import check_telegram
from marketdesk.settings import Settings
from marketdesk.workers.telegram import OFFSET_FILE, OffsetFile, run_telegram_polling
from tests.channels.fake_apis import FakeTelegram
from tests.channels.messengers import (
    TG_SECRET,
    TG_TOKEN,
    messages,
    messenger_settings,
    new_address,
    new_database,
    running_app,
    tg_message,
    wait_conversation,
)
from tests.conftest import backends


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram(TG_TOKEN)
    yield server
    server.close()


def _polling(fake: FakeTelegram) -> dict[str, Any]:
    return messenger_settings(
        fake.url,
        "http://127.0.0.1:9",
        telegram_mode="polling",
        channel_poll_seconds=0.1,  # the app's own delivery worker sends here
    )


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.parametrize("backend", backends())
def test_polling_takes_updates_and_a_restart_does_not_replay(
    backend: str, make_database: Any, fake_telegram: FakeTelegram
) -> None:
    fake, chat_id = fake_telegram, new_address()
    fake.webhook_url = "https://old.example/api/v1/channels/telegram/x"  # left from before
    db = new_database(make_database, backend)
    with running_app(db, **_polling(fake)) as env:
        update = fake.push(tg_message(chat_id, "Как активировать подарочный сертификат?"))
        conversation = wait_conversation(env, "telegram", str(chat_id))
        # the worker of the app delivered the bot's answer into the chat
        [answer] = fake.wait_for("sendMessage", chat_id=str(chat_id))
        _wait(lambda: len(messages(env, conversation.id)) == 2, "the bot's answer")
        assert answer.params["text"] == messages(env, conversation.id)[1].text
        assert fake.called("deleteWebhook") and fake.webhook_url == ""
        offset_file = db.tmp / OFFSET_FILE
        _wait(lambda: offset_file.exists(), "the offset file")
        assert offset_file.read_text() == str(update["update_id"] + 1)
        # the webhook route is off in polling mode
        refused = env.client.post(
            f"/api/v1/channels/telegram/{TG_SECRET}",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        )
        assert refused.status_code == 404

    asked_before = len(fake.called("getUpdates"))
    with running_app(db, **_polling(fake)) as env:
        _wait(lambda: len(fake.called("getUpdates")) > asked_before, "a getUpdates")
        first = fake.called("getUpdates")[asked_before]
        assert first.params.get("offset") == str(update["update_id"] + 1)
        second = fake.push(tg_message(chat_id, "Спасибо, а где мой заказ?"))
        _wait(lambda: len(messages(env, conversation.id)) >= 3, "the second message")
        texts = [m.text for m in messages(env, conversation.id) if m.sender_kind == "visitor"]
        assert texts == ["Как активировать подарочный сертификат?", "Спасибо, а где мой заказ?"]
        _wait(lambda: offset_file.read_text() == str(second["update_id"] + 1), "the new offset")


def test_check_telegram_says_what_is_wrong(fake_telegram: FakeTelegram, tmp_path: Any) -> None:
    fake = fake_telegram

    def check(**values: Any) -> list[str]:
        settings = Settings(data_dir=tmp_path, telegram_api=fake.url, **values)
        return asyncio.run(check_telegram(settings))

    assert check() == ["не задан MARKETDESK_TELEGRAM_TOKEN: Telegram не подключён"]
    assert "неверный вид" in check(telegram_token="not-a-token")[0]
    assert check(telegram_token="42:wrong", telegram_mode="polling") == [
        "токен Telegram не подходит (getMe: 401)"
    ]
    no_secret = check(telegram_token=TG_TOKEN)
    assert any("MARKETDESK_TELEGRAM_SECRET" in p for p in no_secret)
    assert any("вебхук не установлен" in p for p in no_secret)
    fake.webhook_url = f"http://127.0.0.1:8000/api/v1/channels/telegram/{TG_SECRET}"
    assert check(telegram_token=TG_TOKEN, telegram_secret=TG_SECRET) == []
    assert check(telegram_token=TG_TOKEN, telegram_mode="polling") == []
    fake.down()
    try:
        [problem] = check(telegram_token=TG_TOKEN, telegram_mode="polling")
        assert "недоступен" in problem
    finally:
        fake.up()


def test_a_failing_update_is_tried_again_not_skipped(tmp_path: Any) -> None:
    """The offset moves only past handled updates: one whose handling failed (the database
    out of reach) comes again, and the ones before it are not handled twice."""
    pending = {5: "первое", 6: "второе"}

    asked: list[int | None] = []
    handled: list[str] = []
    failures = [RuntimeError("база недоступна")]

    class Source:
        async def prepare_polling(self) -> None:
            return None

        async def get_updates(self, offset: int | None, wait: int) -> list[tuple[int, str]]:
            asked.append(offset)
            await asyncio.sleep(0)
            return [(i, text) for i, text in sorted(pending.items()) if i >= (offset or 0)]

    done = asyncio.Event()

    async def handle(update: str) -> None:
        if update == "второе" and failures:
            raise failures.pop()
        handled.append(update)
        if len(handled) == 2:
            done.set()

    offsets = OffsetFile(tmp_path / OFFSET_FILE)

    async def main() -> None:
        task = asyncio.create_task(run_telegram_polling(Source(), handle, offsets, pause=0.01))
        await asyncio.wait_for(done.wait(), 20)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert handled == ["первое", "второе"]
    assert asked[:2] == [None, 6]  # after the failure it asks from the failed update on
    assert offsets.load() == 7
