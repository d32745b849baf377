"""/readyz says whether the database's schema is at the head of the code's migrations: a
database left behind (a deployment that has not run ``marketdesk db upgrade``) is not
ready, and is again once it is migrated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from marketdesk.store.revision import code_heads
from tests.chat.conftest import ChatEnv


def _set_revision(env: ChatEnv, revision: str) -> None:
    async def work(session: Any) -> None:
        await session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        await session.commit()

    env.run(work)


def test_readyz_reports_migrations_behind_and_current(ops: ChatEnv) -> None:
    (head,) = code_heads()
    ready = ops.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["migrations"] == "ok"

    _set_revision(ops, "0000_an_older_revision")
    try:
        behind = ops.client.get("/readyz")
        assert behind.status_code == 503
        error = behind.json()["error"]
        assert error["code"] == "not_ready"
        assert error["down"] == ["migrations"]
        assert error["checks"]["migrations"] == "behind"
        assert "миграции" in error["message"]
        assert ops.client.get("/healthz").status_code == 200  # alive all the same
    finally:
        _set_revision(ops, head)
    assert ops.client.get("/readyz").json()["checks"]["migrations"] == "ok"
