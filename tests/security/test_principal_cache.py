"""The principal cache: a token's principal is kept for a moment, never past its session's
expiry, and forgotten at once when the session ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketdesk.services import auth
from marketdesk.services.principals import Principal

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _principal(session_id: int) -> Principal:
    return Principal(
        "operator", session_id, "Оператор", frozenset({"operator"}), session_id=session_id
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    return now


def test_kept_for_its_seconds_then_asked_again(clock: list[float]) -> None:
    cache = auth.PrincipalCache(1.0)
    cache.put("a", _principal(1), NOW + timedelta(hours=1))
    assert cache.get("a", NOW) == _principal(1)
    clock[0] += 0.9
    assert cache.get("a", NOW) == _principal(1)
    clock[0] += 0.2
    assert cache.get("a", NOW) is None


def test_never_past_the_sessions_own_expiry(clock: list[float]) -> None:
    cache = auth.PrincipalCache(60.0)
    cache.put("a", _principal(1), NOW + timedelta(seconds=1))
    assert cache.get("a", NOW) is not None
    assert cache.get("a", NOW + timedelta(seconds=1)) is None


def test_an_ended_session_is_forgotten_by_every_cache_of_the_process(clock: list[float]) -> None:
    first, second = auth.PrincipalCache(60.0), auth.PrincipalCache(60.0)
    for cache in (first, second):
        cache.put("a", _principal(1), NOW + timedelta(hours=1))
        cache.put("b", _principal(2), NOW + timedelta(hours=1))
    auth.forget_principals([1])
    assert [c.get("a", NOW) for c in (first, second)] == [None, None]
    assert [c.get("b", NOW) for c in (first, second)] == [_principal(2), _principal(2)]
    auth.forget_principals()
    assert [c.get("b", NOW) for c in (first, second)] == [None, None]


def test_zero_seconds_keeps_nothing_and_a_flood_does_not_grow_it(clock: list[float]) -> None:
    off = auth.PrincipalCache(0)
    off.put("a", _principal(1), NOW + timedelta(hours=1))
    assert off.get("a", NOW) is None
    small = auth.PrincipalCache(60.0, size=3)
    for i in range(10):
        small.put(str(i), _principal(i), NOW + timedelta(hours=1))
    assert sum(small.get(str(i), NOW) is not None for i in range(10)) <= 3
    assert small.get("9", NOW) == _principal(9)


def test_a_new_visitors_principal_is_kept_from_its_creation(demo_db) -> None:
    """The widget's next request after the visitor's creation (its conversation) finds the
    principal in the cache, and it is the principal the database gives for the token."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from marketdesk.server import create_app
    from tests.conftest import auth as bearer
    from tests.conftest import run_db

    app = create_app(demo_db.settings(principal_cache_seconds=3600))
    with TestClient(app) as client:
        created = client.post("/api/v1/visitors", json={})
        assert created.status_code == 201, created.text
        token = created.json()["token"]
        cache: auth.PrincipalCache = app.state.principal_cache
        kept = cache.get(auth.token_hash(token), datetime.now(UTC))
        read = run_db(demo_db, lambda session: auth.authenticate(session, token))
        assert kept is not None and kept == read and read.kind == "visitor"
        asked: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            asked.append(statement)

        engine = app.state.database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            opened = client.post(
                "/api/v1/conversations", json={"line": "general"}, headers=bearer(token)
            )
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert opened.status_code == 201, opened.text
        assert asked and not [s for s in asked if "WHERE sessions.token_hash" in s]
