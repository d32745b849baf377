"""The active subscriptions a process keeps (``MARKETDESK_WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS``):
a change made elsewhere is seen once the time runs out or the process forgets them; with 0
every event reads them. The database is changed here the way another process would: in a
session of its own, not through the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, update

from marketdesk.domain.webhooks import WebhookEvent, encode_secret
from marketdesk.services.webhooks import outbox
from marketdesk.store.models import WebhookDelivery, WebhookSubscription, utcnow
from tests.conftest import TestDatabase, backends, prepare, run_db


async def _emit(session: Any) -> int:
    emitted = await outbox.emit(session, WebhookEvent.TASK_CREATED, {"task_number": "CTASK-1"})
    await session.commit()
    return emitted


async def _subscribe(session: Any) -> int:
    hook = WebhookSubscription(
        url="http://127.0.0.1:9/hooks",
        events=[WebhookEvent.TASK_CREATED.value],
        secret=encode_secret(b"k" * 32),
        active=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(hook)
    await session.commit()
    return int(hook.id)


async def _deliveries(session: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)))


@pytest.mark.parametrize("backend", backends())
def test_a_process_sees_another_ones_change_when_it_reads_again(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    db = make_database(backend)
    prepare(db.url)

    async def deactivate(session: Any) -> None:
        await session.execute(update(WebhookSubscription).values(active=False))
        await session.commit()

    try:
        outbox.configure(cache_seconds=60)
        assert run_db(db, _emit) == 0  # nobody listens: read, and kept
        run_db(db, _subscribe)  # "another process" subscribes
        assert run_db(db, _emit) == 0  # not seen yet: the kept list is used
        assert run_db(db, _deliveries) == 0
        run_db(db, lambda _session: outbox.forget_subscriptions())
        assert run_db(db, _emit) == 1  # read again: the delivery is written
        assert run_db(db, _deliveries) == 1

        outbox.configure(cache_seconds=0)  # every event reads them
        run_db(db, deactivate)
        assert run_db(db, _emit) == 0
        assert run_db(db, _deliveries) == 1
    finally:
        outbox.configure(cache_seconds=1.0)


@pytest.mark.parametrize("backend", backends())
def test_unwanted_reads_the_subscriptions_when_none_are_kept(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    """``unwanted`` reads the subscriptions itself when the process keeps none (the writes
    that go alone ask it first): a subscription's event types come back as a list, so a
    wanted event is wanted and another is not."""
    db = make_database(backend)
    prepare(db.url)

    async def ask(session: Any) -> tuple[bool, bool]:
        await outbox.forget_subscriptions()
        created = await outbox.unwanted(session, WebhookEvent.TASK_CREATED)
        await outbox.forget_subscriptions()
        other = await outbox.unwanted(session, WebhookEvent.MESSAGE_CREATED)
        return created, other

    try:
        outbox.configure(cache_seconds=60)
        assert run_db(db, ask) == (True, True)  # nobody listens
        run_db(db, _subscribe)  # wants task.created only
        assert run_db(db, ask) == (False, True)
    finally:
        outbox.configure(cache_seconds=1.0)
