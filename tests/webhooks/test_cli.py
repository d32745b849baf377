"""``marketdesk webhooks list`` and the webhook worker in ``marketdesk worker --once``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from marketdesk.cli import main
from marketdesk.domain.webhooks import encode_secret
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.models import WebhookDelivery, WebhookSubscription, utcnow


def _add(data_dir: Path) -> None:
    async def work() -> None:
        database = Database(Settings(data_dir=data_dir, database_url=None).async_database_url)
        try:
            async with database.sessions() as session:
                hook = WebhookSubscription(
                    url="http://127.0.0.1:9/hooks",
                    events=["task.created", "return.created"],
                    secret=encode_secret(b"k" * 32),
                    active=False,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
                session.add(hook)
                await session.flush()
                session.add(
                    WebhookDelivery(
                        subscription_id=hook.id,
                        message_id="msg_cli",
                        event="task.created",
                        body="{}",
                        status="pending",
                        attempts=0,
                        created_at=utcnow(),
                    )
                )
                await session.commit()
        finally:
            await database.dispose()

    asyncio.run(work())


def test_webhooks_list(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"MARKETDESK_DATA_DIR": str(tmp_path), "MARKETDESK_DATABASE_URL": ""}
    empty = runner.invoke(main, ["webhooks", "list"], env=env)
    assert empty.exit_code == 0, empty.output
    assert "Вебхуков нет." in empty.output
    _add(tmp_path)
    listed = runner.invoke(main, ["webhooks", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    line = listed.output.strip().splitlines()[-1].split("\t")
    assert line[1:] == [
        "http://127.0.0.1:9/hooks",
        "task.created,return.created",
        "приостановлен",
        "ждут: 1",
        "не доставлено: 0",
    ]
    # a paused webhook's delivery waits: the worker's pass tries nothing
    once = runner.invoke(main, ["worker", "--once"], env=env)
    assert once.exit_code == 0, once.output
    assert "Попыток доставки вебхуков: 0." in once.output
