"""The chat's SLA breaches in /metrics: a conversation past its first-response deadline is
recorded by the server's own SLA timer and counted once, by kind."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from marketdesk.server import create_app
from marketdesk.store.models import Conversation, utcnow
from tests.chat.conftest import ChatEnv
from tests.conftest import TestDatabase, backends, prepare
from tests.ops.conftest import METRICS_TOKEN, scrape, value


@pytest.fixture(scope="module", params=backends())
def fast(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChatEnv]:
    db = make_database(request.param)
    prepare(db.url)
    settings = db.settings(metrics_token=METRICS_TOKEN, sla_chat_interval_seconds=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield ChatEnv(db, client)


def test_a_late_first_response_counts_as_a_chat_sla_breach(fast: ChatEnv) -> None:
    name = "marketdesk_chat_sla_breaches_total"
    before = scrape(fast.client)
    assert (name, (("kind", "resolution"),)) in before  # every series exists from the start
    token = fast.visitor()
    cid = int(fast.conversation(token)["id"])
    assert fast.post(token, f"/api/v1/conversations/{cid}/handoff").status_code == 200

    async def overdue(session: Any) -> None:
        past = utcnow() - timedelta(minutes=1)
        await session.execute(
            update(Conversation).where(Conversation.id == cid).values(first_response_due_at=past)
        )
        await session.commit()

    fast.run(overdue)
    start = value(before, name, kind="first_response")
    # the timer of this app runs every 50 ms: wait for its round (bounded), not a time
    for _ in range(200):
        if value(scrape(fast.client), name, kind="first_response") > start:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # a few more rounds: the breach must not be counted again
    after = scrape(fast.client)
    assert value(after, name, kind="first_response") == start + 1
    assert value(after, name, kind="resolution") == value(before, name, kind="resolution")
