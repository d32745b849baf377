"""Issue 17: the abuse limits of one request (a conversation opened with its first message
is a conversation and a message, each of the caller and of the IP, each by the minute and
by the hour) are checked together: in Redis in one script, one round trip, and a refused
request counts in none of them; the counts stay where the ``limits`` library reads them
(its window statistics give the refusal's wait). In memory the limits count one after
another, and the counts before a refusal are taken back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from marketdesk.services.errors import RateLimited
from marketdesk.services.principals import Principal
from marketdesk.services.rate_limits import RateLimiter
from marketdesk.settings import Settings
from tests.chat.servers import REDIS_URL, redis_available

BOTH = ("conversations", "messages")
LIMITS: dict[str, Any] = {
    "rate_limit_scale": 1.0,
    "rate_conversations": "5/day;9/month",
    "rate_conversations_per_ip": "2/day",
    "rate_messages": "5/day",
    "rate_messages_per_ip": "7/day",
}


@pytest.fixture
def prefix() -> Iterator[str]:
    if not redis_available():
        pytest.skip("no Redis server")
    prefix = f"marketdesk-test:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def _limiter(**settings: Any) -> RateLimiter:
    return RateLimiter.from_settings(Settings(**{**LIMITS, **settings}))


def _visitor() -> Principal:
    return Principal(kind="visitor", id=uuid.uuid4().hex)


async def _left(limiter: RateLimiter, visitor: Principal, ip: str) -> dict[str, list[int]]:
    caller = f"visitor:{visitor.id}"
    return {
        "conversations caller": await limiter.remaining("conversations", "caller", caller),
        "conversations ip": await limiter.remaining("conversations", "ip", ip),
        "messages caller": await limiter.remaining("messages", "caller", caller),
        "messages ip": await limiter.remaining("messages", "ip", ip),
    }


def test_in_redis_a_refused_request_counts_in_none_of_its_limits(prefix: str) -> None:
    async def main() -> None:
        limiter = _limiter(redis_url=REDIS_URL, rate_limit_prefix=prefix)
        visitor, ip = _visitor(), "198.19.7.1"
        try:
            await limiter.check(BOTH, principal=visitor, ip=ip)
            await limiter.check(BOTH, principal=visitor, ip=ip)
            before = await _left(limiter, visitor, ip)
            assert before == {
                "conversations caller": [3, 7],
                "conversations ip": [0],
                "messages caller": [3],
                "messages ip": [5],
            }
            # the IP's conversations are used up: the third is refused, and the caller's
            # counts, checked before it, stay as they were
            with pytest.raises(RateLimited) as refused:
                await limiter.check(BOTH, principal=visitor, ip=ip)
            assert await _left(limiter, visitor, ip) == before
            assert refused.value.retry_after > 3600  # a day's window, read by the library
            # a message alone is still let through (its own limits have room)
            await limiter.check("messages", principal=visitor, ip=ip)
            assert (await _left(limiter, visitor, ip))["messages ip"] == [4]
        finally:
            await limiter.aclose()

    asyncio.run(main())


def test_in_memory_too_a_refused_request_counts_in_none_of_its_limits() -> None:
    async def main() -> None:
        limiter = _limiter()
        visitor, ip = _visitor(), "198.19.7.2"
        for _ in range(2):
            await limiter.check(BOTH, principal=visitor, ip=ip)
        before = await _left(limiter, visitor, ip)
        with pytest.raises(RateLimited):
            await limiter.check(BOTH, principal=visitor, ip=ip)
        # the caller's conversations were counted before the IP's refused: taken back
        assert await _left(limiter, visitor, ip) == before
        assert before["conversations caller"] == [3, 7]

    asyncio.run(main())


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_parallel_requests_get_no_more_than_the_tightest_limit(where: str) -> None:
    if where == "redis" and not redis_available():
        pytest.skip("no Redis server")
    prefix = f"marketdesk-test:{uuid.uuid4().hex}"

    async def main() -> list[bool]:
        shared = {"redis_url": REDIS_URL, "rate_limit_prefix": prefix} if where == "redis" else {}
        limiter = _limiter(**shared)
        visitor, ip = _visitor(), "198.19.7.3"

        async def one() -> bool:
            try:
                await limiter.check(BOTH, principal=visitor, ip=ip)
            except RateLimited:
                return False
            return True

        try:
            return await asyncio.gather(*(one() for _ in range(20)))
        finally:
            await limiter.aclose()

    try:
        assert sorted(asyncio.run(main())) == [False] * 18 + [True] * 2
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def test_with_redis_away_the_batch_counts_in_memory() -> None:
    async def main() -> None:
        # nothing listens on port 1: the script fails, the memory counts instead
        limiter = _limiter(redis_url="redis://127.0.0.1:1/0")
        visitor, ip = _visitor(), "198.19.7.4"
        try:
            for _ in range(2):
                await limiter.check(BOTH, principal=visitor, ip=ip)
            with pytest.raises(RateLimited):
                await limiter.check(BOTH, principal=visitor, ip=ip)
        finally:
            await limiter.aclose()

    asyncio.run(main())


def test_requests_arriving_together_go_to_redis_in_one_call_each_counted_alone(
    prefix: str,
) -> None:
    """Seventeen requests at once: ten visitors from ten addresses with a message each, and
    one visitor with seven (five a day allowed). They reach Redis in far fewer script calls
    than requests, and each is still counted or refused on its own."""

    async def main() -> None:
        limiter = _limiter(redis_url=REDIS_URL, rate_limit_prefix=prefix)
        assert limiter._acquire_all is not None
        script = limiter._acquire_all._script
        calls: list[int] = []

        async def counted(*, keys: list[str], args: list[int]) -> Any:
            calls.append(args[0])  # the requests in this call
            return await script(keys=keys, args=args)

        limiter._acquire_all._script = counted
        alone = [(_visitor(), f"198.19.8.{n}") for n in range(10)]
        eager, eager_ip = _visitor(), "198.19.9.1"

        async def one(visitor: Principal, ip: str) -> bool:
            try:
                await limiter.check("messages", principal=visitor, ip=ip)
            except RateLimited:
                return False
            return True

        try:
            results = await asyncio.gather(
                *(one(visitor, ip) for visitor, ip in alone),
                *(one(eager, eager_ip) for _ in range(7)),
            )
            assert results[:10] == [True] * 10
            assert sorted(results[10:]) == [False] * 2 + [True] * 5
            assert sum(calls) == 17
            assert len(calls) <= 3  # the first alone, the rest together (or nearly)
            for visitor, ip in alone:
                assert await limiter.remaining("messages", "caller", f"visitor:{visitor.id}") == [4]
                assert await limiter.remaining("messages", "ip", ip) == [6]
            assert await limiter.remaining("messages", "caller", f"visitor:{eager.id}") == [0]
            assert await limiter.remaining("messages", "ip", eager_ip) == [2]
        finally:
            await limiter.aclose()

    asyncio.run(main())


def test_an_answer_of_the_wrong_length_counts_the_batch_in_memory(prefix: str) -> None:
    """A script's answer that does not fit the requests sent (a Redis that misbehaves) is
    a storage failure: the requests count in memory and get their answers, none hangs."""

    async def main() -> None:
        limiter = _limiter(redis_url=REDIS_URL, rate_limit_prefix=prefix)
        assert limiter._acquire_all is not None

        async def short(*, keys: list[str], args: list[int]) -> list[int]:
            return []

        limiter._acquire_all._script = short
        visitor, ip = _visitor(), "198.19.9.9"
        try:
            async with asyncio.timeout(5):
                for _ in range(5):
                    await limiter.check("messages", principal=visitor, ip=ip)
                with pytest.raises(RateLimited):  # five a day, counted in memory
                    await limiter.check("messages", principal=visitor, ip=ip)
        finally:
            await limiter.aclose()

    asyncio.run(main())
