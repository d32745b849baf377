"""SIGKILL in the middle of a stream of acknowledged messages: after the restart every
acknowledged message is there exactly once, and retries of the unacknowledged ones never
duplicate anything. On SQLite and on PostgreSQL (a fresh database of the test's own)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.chat.servers import Server
from tests.conftest import backends

pytestmark = pytest.mark.slow

STREAMS = 4
KILL_AFTER = 120  # acknowledged messages before the kill


async def _stream(
    server: Server,
    token: str,
    cid: int,
    prefix: str,
    acked: set[str],
    sent: set[str],
    total: list[int],
    enough: asyncio.Event,
) -> None:
    """Send one message after another over a socket; remember what was acknowledged."""
    try:
        async with connect(f"{server.ws_url}/ws/conversations/{cid}") as ws:
            await ws.send(json.dumps({"type": "auth", "token": token, "last_seq": 10**9}))
            assert json.loads(await ws.recv())["type"] == "ready"
            for i in range(100_000):
                client_msg_id = f"{prefix}-{i}"
                sent.add(client_msg_id)
                await ws.send(
                    json.dumps({"type": "message", "client_msg_id": client_msg_id, "text": f"№{i}"})
                )
                while True:
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "ack":
                        assert frame["client_msg_id"] == client_msg_id
                        acked.add(client_msg_id)
                        total[0] += 1
                        if total[0] >= KILL_AFTER:
                            enough.set()
                        break
                    assert frame["type"] in ("message", "conversation", "ping"), frame
    except (ConnectionClosed, OSError):
        return  # the server died under us: what was acknowledged is what counts


@pytest.mark.parametrize("backend", backends())
def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    backend: str, make_database: Callable[[str], Any]
) -> None:
    db = make_database(backend)
    server = Server(db.tmp, db.url, log_name="durability").start()
    try:
        conversations = []
        for _ in range(STREAMS):
            token = server.visitor()
            response = server.post("/api/v1/conversations", token, {"line": "general"})
            cid = response.json()["id"]
            # an operator's chat: no bot answers in between, only the customer's messages
            assert server.post(f"/api/v1/conversations/{cid}/handoff", token).status_code == 200
            conversations.append((token, cid))

        acked: list[set[str]] = [set() for _ in conversations]
        sent: list[set[str]] = [set() for _ in conversations]
        total = [0]

        async def run() -> None:
            enough = asyncio.Event()
            tasks = [
                asyncio.create_task(
                    _stream(server, token, cid, f"s{n}", acked[n], sent[n], total, enough)
                )
                for n, (token, cid) in enumerate(conversations)
            ]
            await asyncio.wait_for(enough.wait(), timeout=120)
            server.kill()  # SIGKILL while every stream has a message in flight
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)

        asyncio.run(run())
        assert total[0] >= KILL_AFTER
        assert any(sent[n] - acked[n] for n in range(STREAMS)), "nothing was in flight"

        server.start()
        for n, (token, cid) in enumerate(conversations):
            messages = _all_messages(server, token, cid)
            ids = [m["client_msg_id"] for m in messages if m["sender_kind"] == "visitor"]
            assert len(ids) == len(set(ids)), "a message was stored twice"
            assert acked[n] <= set(ids), "an acknowledged message was lost"
            assert set(ids) <= sent[n]
            seqs = [m["seq"] for m in messages]
            assert seqs == list(range(1, len(seqs) + 1))
            # the client retries what it never saw acknowledged: stored once, whatever happened
            for client_msg_id in sorted(sent[n] - acked[n]):
                number = client_msg_id.split("-")[1]
                response = server.post(
                    f"/api/v1/conversations/{cid}/messages",
                    token,
                    {"client_msg_id": client_msg_id, "text": f"№{number}"},
                )
                assert response.status_code in (200, 201), response.text
            after = _all_messages(server, token, cid)
            ids_after = [m["client_msg_id"] for m in after if m["sender_kind"] == "visitor"]
            assert sorted(ids_after) == sorted(sent[n])
            assert [m["seq"] for m in after] == list(range(1, len(after) + 1))
    finally:
        server.stop()


def _all_messages(server: Server, token: str, cid: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        after = out[-1]["seq"] if out else 0
        response = server.get(f"/api/v1/conversations/{cid}/messages", token, after_seq=after)
        assert response.status_code == 200, response.text
        page = response.json()["messages"]
        if not page:
            return out
        out.extend(page)
