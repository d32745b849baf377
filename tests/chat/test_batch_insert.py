"""The group commit's messages go in with one ``INSERT`` on both databases (SQLAlchemy's
ordered ``RETURNING`` took one statement a row on SQLite), and each message gets its own id
back: matched by conversation and number, whatever order the database returns them in."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from marketdesk.services import chat
from marketdesk.services.auth import authenticate
from marketdesk.services.chat import batch
from marketdesk.services.chat.sending import SendRequest
from marketdesk.store.db import Database
from marketdesk.store.models import Message
from tests.chat.conftest import ChatEnv


def _queued(env: ChatEnv) -> tuple[str, int]:
    token = env.visitor()
    cid = int(env.conversation(token)["id"])
    assert env.post(token, f"/api/v1/conversations/{cid}/handoff").status_code == 200
    return token, cid


def test_a_batch_is_one_insert_and_every_message_has_its_id(fresh_env: ChatEnv) -> None:
    env = fresh_env
    chats = [_queued(env) for _ in range(3)]
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split())[:40])

    async def main() -> list[Any]:
        database = Database(env.db.url)
        try:
            ctx = chat.ChatContext(database=database)
            requests = []
            for token, cid in chats:
                async with database.sessions() as session:
                    principal = await authenticate(session, token)
                requests += [
                    SendRequest(
                        ctx, principal, chat.OutgoingMessage(cid, uuid.uuid4().hex, f"{cid}/{n}")
                    )
                    for n in range(4)
                ]
            # interleaved: the conversations' messages alternate in the statement
            requests = [requests[i + 4 * k] for i in range(4) for k in range(3)]
            event.listen(Engine, "before_cursor_execute", record)
            try:
                results = await batch.store_batch(database, requests)
            finally:
                event.remove(Engine, "before_cursor_execute", record)
            async with database.sessions() as session:
                rows = {
                    m.id: m
                    for m in await session.scalars(
                        select(Message).where(Message.conversation_id.in_([c for _, c in chats]))
                    )
                }
        finally:
            await database.dispose()
        return [(result, rows) for result in results]

    outcomes = asyncio.run(main())
    assert sum(s.startswith("INSERT INTO messages") for s in statements) == 1, statements
    seen: dict[int, list[int]] = {}
    for result, rows in outcomes:
        assert isinstance(result, chat.SendResult)
        stored = rows[result.message.id]  # the id returned is the row of this message
        assert stored.text == result.message.text
        assert (stored.conversation_id, stored.seq) == (
            result.message.conversation_id,
            result.message.seq,
        )
        seen.setdefault(stored.conversation_id, []).append(stored.seq)
    # each conversation's four, numbered on in the order they were sent
    for numbers in seen.values():
        assert numbers == sorted(numbers) and len(set(numbers)) == 4
