"""The principal cache: a token's principal is kept for a moment (a widget visitor's for
longer), never past its session's expiry, forgotten at once when the session ends, and
forgotten whole when announcements may have been missed (the broker's resync)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marketdesk.services import auth
from marketdesk.services.principals import Principal
from tests.chat.servers import REDIS_URL, redis_available

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _principal(session_id: int) -> Principal:
    return Principal(
        "operator", session_id, "Оператор", frozenset({"operator"}), session_id=session_id
    )


def _visitor(session_id: int) -> Principal:
    return Principal("visitor", f"visitor-{session_id}", session_id=session_id)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    return now


def test_kept_for_its_seconds_then_asked_again(clock: list[float]) -> None:
    cache = auth.PrincipalCache(1.0)
    cache.put("a", _principal(1), NOW + timedelta(hours=1))
    assert cache.get("a", NOW) == _principal(1)
    clock[0] += 0.7
    assert cache.get("a", NOW) == _principal(1)
    clock[0] += 0.4
    assert cache.get("a", NOW) is None
    assert cache.get("a", NOW) is None


def test_in_its_last_share_one_caller_reads_again_and_the_others_keep_it(
    clock: list[float],
) -> None:
    """Of the requests that look in the last fifth of the keep, the first gets nothing (it
    reads the session and puts it back, a new keep); the others keep the principal until
    the keep ends, and no longer."""
    cache = auth.PrincipalCache(1.0)
    cache.put("a", _principal(1), NOW + timedelta(hours=1))
    clock[0] += 1.0 - auth.REFRESH_SHARE + 0.01
    assert cache.get("a", NOW) is None  # this one reads again
    assert [cache.get("a", NOW) for _ in range(7)] == [_principal(1)] * 7
    cache.put("a", _principal(1), NOW + timedelta(hours=1))  # its read came back
    clock[0] += 0.5
    assert cache.get("a", NOW) == _principal(1)
    clock[0] += 0.5  # the new keep's last fifth: again one reads
    assert cache.get("a", NOW) is None
    assert cache.get("a", NOW) == _principal(1)
    clock[0] += 0.2  # the read never came back: the keep ends all the same
    assert cache.get("a", NOW) is None


async def _visitor_token(database: Any, visitor_id: str) -> str:
    """A new widget visitor's bearer token, for an hour."""
    from marketdesk.store.models import Visitor

    async with database.sessions() as session:
        session.add(Visitor(id=visitor_id))
        await session.commit()
        token = await auth.issue_token(session, visitor_id=visitor_id, ttl=timedelta(hours=1))
        await session.commit()
    return token


def test_a_session_found_ended_on_the_read_again_is_kept_by_no_one(demo_db) -> None:
    """The caller that reads a token again in its keep's last share and finds its session
    ended (logged out in another process, whose announcement has not come) drops the
    principal for the others too."""
    import asyncio

    from sqlalchemy import update

    from marketdesk.store.db import Database
    from marketdesk.store.models import Session

    async def main() -> None:
        database = Database(demo_db.url)
        cache = auth.PrincipalCache(60.0)
        try:
            token = await _visitor_token(database, f"v-cache-{id(cache)}")
            async with database.sessions() as session:
                principal = await auth.authenticate(session, token, cache=cache)
            key = auth.token_hash(token)
            assert cache.get(key, auth.utcnow()) == principal
            async with database.sessions() as session:  # ended where no one announced it
                await session.execute(
                    update(Session)
                    .where(Session.id == principal.session_id)
                    .values(revoked_at=auth.utcnow())
                )
                await session.commit()
            assert cache.get(key, auth.utcnow()) == principal  # kept: nobody told this one
            until, _refresh_at, expires_at, kept = cache._entries[key]
            cache._entries[key] = (until, 0.0, expires_at, kept)  # its keep's last share
            async with database.sessions() as session:
                with pytest.raises(auth.SessionExpired):
                    await auth.authenticate(session, token, cache=cache)
            assert cache.get(key, auth.utcnow()) is None
        finally:
            await database.dispose()

    asyncio.run(main())


def test_a_visitors_principal_is_kept_for_the_visitors_seconds(clock: list[float]) -> None:
    """A visitor (no roles, no account) for ``visitor_seconds``, every other principal for
    ``seconds``; each still never past its session's expiry, and 0 keeps no visitor."""
    cache = auth.PrincipalCache(1.0, visitor_seconds=300.0)
    cache.put("operator", _principal(1), NOW + timedelta(hours=1))
    cache.put(
        "customer", Principal("customer", 7, "Клиент", session_id=2), NOW + timedelta(hours=1)
    )
    cache.put("visitor", _visitor(3), NOW + timedelta(hours=1))
    clock[0] += 2
    assert cache.get("operator", NOW) is None
    assert cache.get("customer", NOW) is None
    assert cache.get("visitor", NOW) == _visitor(3)
    clock[0] += 237  # 239 s: before the keep's last fifth
    assert cache.get("visitor", NOW) == _visitor(3)
    assert cache.get("visitor", NOW + timedelta(hours=1)) is None  # its session expired
    cache.put("visitor", _visitor(3), NOW + timedelta(hours=1))
    clock[0] += 300.5
    assert cache.get("visitor", NOW) is None
    assert auth.PrincipalCache(60.0).visitor_seconds == 60.0  # by default the same time
    off = auth.PrincipalCache(60.0, visitor_seconds=0)
    off.put("visitor", _visitor(3), NOW + timedelta(hours=1))
    off.put("operator", _principal(1), NOW + timedelta(hours=1))
    assert off.get("visitor", NOW) is None and off.get("operator", NOW) == _principal(1)


def test_the_settings_keep_a_visitor_longer_than_staff(demo_db) -> None:
    """The application's cache: a visitor for five minutes by default
    (``MARKETDESK_VISITOR_PRINCIPAL_CACHE_SECONDS``), the others for a second."""
    from marketdesk.server import create_app

    app = create_app(demo_db.settings())
    cache: auth.PrincipalCache = app.state.principal_cache
    assert (cache.seconds, cache.visitor_seconds) == (1.0, 300.0)
    app = create_app(demo_db.settings(visitor_principal_cache_seconds=0))
    assert app.state.principal_cache.visitor_seconds == 0


@pytest.mark.skipif(not redis_available(), reason="no Redis server at 127.0.0.1:6379")
def test_a_session_ended_elsewhere_or_a_resync_empties_this_processs_caches() -> None:
    """Two processes' brokers on a real Redis: a session ended in one (its announcement)
    leaves the other's cache; when the other's subscription is lost and comes back (the
    announcements of the meantime may be lost), its session watch forgets every principal."""
    import asyncio
    import uuid

    from marketdesk.channels.session_watch import SessionWatch
    from marketdesk.realtime import RedisBroker
    from tests.chat.test_broker import kill_subscriptions

    async def until(condition: Any) -> None:
        for _ in range(200):
            if condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("not in time")

    async def main() -> None:
        prefix = f"marketdesk-test:{uuid.uuid4().hex[:8]}:"
        here, there = RedisBroker(REDIS_URL, prefix=prefix), RedisBroker(REDIS_URL, prefix=prefix)
        await here.start()
        await there.start()
        watch = SessionWatch(None, interval=60, broker=here)  # type: ignore[arg-type]
        await watch.start()
        cache = auth.PrincipalCache(1.0, visitor_seconds=300.0)
        try:
            for n in (1, 2, 3):
                cache.put(f"v{n}", _visitor(n), NOW + timedelta(hours=1))
            await auth.announce_sessions_ended(there.publish, [1])
            await until(lambda: cache.get("v1", NOW) is None)
            assert cache.get("v2", NOW) == _visitor(2)
            kill_subscriptions(here)  # both brokers' subscriptions: each resyncs
            await until(lambda: cache.get("v2", NOW) is None)
            assert cache.get("v3", NOW) is None
        finally:
            await watch.aclose()
            await here.stop()
            await there.stop()

    asyncio.run(main())


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


def test_the_requests_of_a_token_that_find_nothing_kept_share_one_read(
    demo_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight requests of one token at once with nothing kept: one reads the session, the
    others wait for that read and get its principal (or its refusal); a read that fails
    otherwise leaves each to read for itself."""
    import asyncio

    from sqlalchemy import update

    from marketdesk.store.db import Database
    from marketdesk.store.models import Session

    reads: list[str] = []
    real = auth.read_first
    gate: dict[str, Any] = {}

    async def slow_read(session: Any, query: Any, parameters: Any) -> Any:
        reads.append(parameters["token_hash"])
        await gate["open"].wait()  # the others arrive meanwhile
        if gate.get("fail"):
            gate["fail"] = False
            raise OSError("the database went away")
        return await real(session, query, parameters)

    monkeypatch.setattr(auth, "read_first", slow_read)

    async def main() -> None:
        database = Database(demo_db.url)
        cache = auth.PrincipalCache(60.0)

        async def at_once(token: str) -> list[Any]:
            gate["open"] = asyncio.Event()

            async def one() -> Any:
                async with database.sessions() as session:
                    try:
                        return await auth.authenticate(session, token, cache=cache)
                    except Exception as error:  # the outcome is compared
                        return type(error).__name__

            calls = [asyncio.create_task(one()) for _ in range(8)]
            await asyncio.sleep(0.05)
            gate["open"].set()
            return await asyncio.gather(*calls)

        try:
            token = await _visitor_token(database, f"v-flight-{id(cache)}")
            got = await at_once(token)
            assert len(reads) == 1 and len(set(map(repr, got))) == 1
            assert got[0].kind == "visitor"

            cache.forget()
            reads.clear()
            gate["fail"] = True  # the one read fails: each reads for itself
            got = await at_once(token)
            assert got[0] == "OSError" and all(g == got[1] for g in got[1:])
            assert got[1].kind == "visitor" and len(reads) >= 2

            async with database.sessions() as session:  # ended where no one announced it
                await session.execute(
                    update(Session)
                    .where(Session.id == got[1].session_id)
                    .values(revoked_at=auth.utcnow())
                )
                await session.commit()
            cache.forget()
            reads.clear()
            got = await at_once(token)
            assert reads == [auth.token_hash(token)]
            assert got == ["SessionExpired"] * 8
        finally:
            await database.dispose()

    asyncio.run(main())
