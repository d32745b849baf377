"""Refused uploads write nothing to disk (every check comes before the file is written), and
uploads have quotas: per conversation (413) and per customer or visitor a day (429)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from marketdesk.server import create_app
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error


def _png(size: int = 256) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size)  # new bytes: a file of its own


def _files(data_dir: Path) -> set[Path]:
    return {p for p in (data_dir / "attachments").rglob("*") if p.is_file()}


def _upload(client: Any, token: str, cid: int, data: bytes, **form: str) -> Any:
    return client.post(
        f"/api/v1/conversations/{cid}/attachments",
        files={"file": ("скрин.png", data, "image/png")},
        data={"client_msg_id": form.pop("client_msg_id", uuid.uuid4().hex), **form},
        headers=auth(token),
    )


def test_refused_uploads_leave_no_file(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _, operator = env.operator(available=False)
    visitor = env.visitor()
    cid = env.conversation(visitor)["id"]
    closed_token = env.visitor()
    closed = env.conversation(closed_token)["id"]
    assert env.post(closed_token, f"/api/v1/conversations/{closed}/close").status_code == 200
    before = _files(env.db.tmp)
    refusals = [
        # the conversation is closed
        (_upload(env.client, closed_token, closed, _png()), 409, "conversation_closed"),
        # an operator who has not taken the conversation
        (_upload(env.client, operator, cid, _png()), 403, "not_assigned"),
        # a customer cannot write private notes
        (_upload(env.client, visitor, cid, _png(), private="true"), 403, None),
        # a client_msg_id that is not printable ASCII
        (_upload(env.client, visitor, cid, _png(), client_msg_id="файл-1"), 422, None),
        # a caption over the length limit
        (_upload(env.client, visitor, cid, _png(), text="а" * 4001), 422, "message_too_long"),
    ]
    for response, status, code in refusals:
        assert response.status_code == status, response.text
        if code:
            assert response.json()["error"]["code"] == code
    assert _files(env.db.tmp) == before
    # and the same upload, allowed, writes one file
    assert _upload(env.client, visitor, cid, _png()).status_code == 201
    assert len(_files(env.db.tmp) - before) == 1


def test_uploads_have_quotas_per_conversation_and_per_day(fresh_env: ChatEnv) -> None:
    env = fresh_env
    settings = env.db.settings(
        upload_quota_conversation_mb=1, upload_quota_daily_files=3, upload_quota_daily_mb=50
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        visitor = client.post("/api/v1/visitors").json()["token"]

        def conversation() -> int:
            response = client.post(
                "/api/v1/conversations", json={"line": "general"}, headers=auth(visitor)
            )
            return int(response.json()["id"])

        first = conversation()
        big = _png(700 * 1024)
        assert _upload(client, visitor, first, big, client_msg_id="big-1").status_code == 201
        before = _files(env.db.tmp)
        full = _upload(client, visitor, first, _png(400 * 1024))
        assert_error(full, 413, "attachment_quota")
        assert "МБ" in full.json()["error"]["message"]
        assert _files(env.db.tmp) == before  # nothing written for the refusal
        # a retry of the stored upload is answered with it (no second file, no quota)
        assert _upload(client, visitor, first, big, client_msg_id="big-1").status_code == 200
        assert _files(env.db.tmp) == before

        second = conversation()
        for _ in range(2):  # the second and third file today
            assert _upload(client, visitor, second, _png()).status_code == 201
        daily = _upload(client, visitor, second, _png())  # the fourth
        error = assert_error(daily, 429, "attachment_daily_quota")
        assert error["message"].startswith("За сутки можно отправить")
        assert error["retry_after"] > 0
        # another visitor is not affected
        other = client.post("/api/v1/visitors").json()["token"]
        cid = client.post(
            "/api/v1/conversations", json={"line": "general"}, headers=auth(other)
        ).json()["id"]
        assert _upload(client, other, cid, _png()).status_code == 201


def test_two_uploads_racing_on_one_client_msg_id_leave_one_file(fresh_env: ChatEnv) -> None:
    """Both pass the checks; one stores its message, the other gets that message back as a
    retry — and the file it wrote for nothing is removed (PostgreSQL runs them truly at
    once; SQLite writes one at a time)."""
    import asyncio

    from marketdesk.services import attachments
    from marketdesk.services.auth import authenticate
    from marketdesk.services.chat import ChatContext
    from marketdesk.store.db import Database

    env = fresh_env
    visitor = env.visitor()
    cid = env.conversation(visitor)["id"]
    before = _files(env.db.tmp)

    async def race() -> list[Any]:
        database = Database(env.db.url)
        try:
            async with database.sessions() as a, database.sessions() as b:
                principal = await authenticate(a, visitor)
                await a.commit()

                async def upload(session: Any) -> Any:
                    return await attachments.attach(
                        session,
                        ChatContext(),
                        principal,
                        cid,
                        filename="скрин.png",
                        data=_png(),
                        client_msg_id="same-id",
                        data_dir=env.db.tmp,
                    )

                return list(await asyncio.gather(upload(a), upload(b)))
        finally:
            await database.dispose()

    first, second = asyncio.run(race())
    assert first.message.id == second.message.id
    assert sorted([first.duplicate, second.duplicate]) == [False, True]
    assert len(_files(env.db.tmp) - before) == 1
