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
