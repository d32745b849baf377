"""The chat writer's observer (the metrics' hook) hears of each committed batch, and a
failing observer changes nothing for the senders: their messages are stored and answered."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from marketdesk.services import chat
from marketdesk.services.auth import authenticate
from marketdesk.services.chat import ChatWriter
from marketdesk.services.chat.sending import SendRequest
from marketdesk.store.db import Database
from tests.chat.conftest import ChatEnv


def _send_through(env: ChatEnv, texts: list[str], observer: Any) -> list[Any]:
    visitor = env.visitor()
    cid = env.conversation(visitor)["id"]
    assert env.post(visitor, f"/api/v1/conversations/{cid}/handoff").status_code == 200

    async def main() -> list[Any]:
        database = Database(env.db.url)
        writer = ChatWriter(database, observer=observer)
        try:
            async with database.sessions() as session:
                principal = await authenticate(session, visitor)
            ctx = chat.ChatContext(
                bot=None, publish=chat.no_publisher, writer=writer, database=database
            )
            requests = [
                SendRequest(ctx, principal, chat.OutgoingMessage(cid, uuid.uuid4().hex, text))
                for text in texts
            ]
            return list(await asyncio.gather(*(writer.submit(r) for r in requests)))
        finally:
            await writer.aclose()
            await database.dispose()

    return asyncio.run(main())


def test_the_observer_hears_each_batch(ops: ChatEnv) -> None:
    seen: list[tuple[int, float]] = []
    results = _send_through(ops, ["раз", "два", "три"], lambda n, s: seen.append((n, s)))
    assert len(results) == 3
    assert sum(n for n, _ in seen) == 3  # every stored message, in one batch or more
    assert all(seconds >= 0 for _, seconds in seen)


def test_a_failing_observer_does_not_fail_the_senders(ops: ChatEnv) -> None:
    def broken(_stored: int, _seconds: float) -> None:
        raise RuntimeError("metrics are down")

    results = _send_through(ops, ["первое", "второе"], broken)
    assert [r.message.text for r in results] == ["первое", "второе"]
