"""Concurrent sends through the service: one message per client_msg_id, strict seq."""

from __future__ import annotations

import asyncio
import uuid

from marketdesk.services import chat
from marketdesk.services.principals import Principal
from marketdesk.store.db import Database
from tests.chat.conftest import ChatEnv


def _visitor_principal(env: ChatEnv, token: str) -> Principal:
    async def work(session):
        from marketdesk.services.auth import authenticate

        return await authenticate(session, token)

    return env.run(work)


def _send_concurrently(env: ChatEnv, principal: Principal, cid: int, ids: list[str]) -> list:
    async def main() -> list:
        database = Database(env.db.url)
        try:
            ctx = chat.ChatContext()

            async def one(client_msg_id: str):
                async with database.sessions() as session:
                    message = chat.OutgoingMessage(
                        cid, client_msg_id=client_msg_id, text=f"сообщение {client_msg_id}"
                    )
                    return await chat.send(ctx, principal, message, session=session)

            return await asyncio.gather(*(one(i) for i in ids))
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_identical_concurrent_sends_store_one_message(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")  # no bot replies
    principal = _visitor_principal(env, token)
    results = _send_concurrently(env, principal, conversation["id"], ["same-id"] * 12)
    assert len({r.message.id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    stored = [m for m in env.messages(token, conversation["id"]) if m["sender_kind"] == "visitor"]
    assert [m["client_msg_id"] for m in stored] == ["same-id"]


def test_concurrent_sends_get_strictly_consecutive_seq(env: ChatEnv) -> None:
    token = env.visitor()
    conversation = env.conversation(token)
    env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff")
    start = env.get(token, conversation["id"])["last_seq"]
    principal = _visitor_principal(env, token)
    ids = [uuid.uuid4().hex for _ in range(25)]
    results = _send_concurrently(env, principal, conversation["id"], ids)
    seqs = sorted(r.message.seq for r in results)
    assert seqs == list(range(start + 1, start + 26))
    messages = env.messages(token, conversation["id"])
    assert [m["seq"] for m in messages] == list(range(1, start + 26))
