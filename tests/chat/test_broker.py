"""The brokers: one delivery per subscriber, channels kept apart, Redis between processes'
brokers (a real Redis server: each process subscribed to its subscribers' channels only),
and a resync after the Redis connection is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis

from marketdesk.realtime import InProcessBroker, RedisBroker
from marketdesk.services.chat.events import publish_all
from tests.chat.servers import REDIS_URL, redis_available


def _collector() -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    got: list[tuple[str, dict[str, Any]]] = []
    return got, lambda channel, event: got.append((channel, event))


def test_in_process_delivery_once_per_subscriber_and_only_to_its_channels() -> None:
    async def main() -> None:
        broker = InProcessBroker()
        both, handler_both = _collector()
        other, handler_other = _collector()
        sub = broker.subscribe(["conversation:1", "operator:7"], handler_both)
        broker.subscribe(["conversation:2"], handler_other)
        await broker.publish(["conversation:1", "operator:7"], {"type": "message", "n": 1})
        assert [e["n"] for _, e in both] == [1]
        assert other == []
        sub.close()
        await broker.publish(["conversation:1"], {"type": "message", "n": 2})
        assert [e["n"] for _, e in both] == [1]
        assert broker.subscriber_count == 1

    asyncio.run(main())


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    async def main() -> None:
        broker = InProcessBroker()
        got, handler = _collector()

        def broken(_channel: str, _event: dict[str, Any]) -> None:
            raise RuntimeError("boom")

        broker.subscribe(["c"], broken)
        broker.subscribe(["c"], handler)
        await broker.publish(["c"], {"type": "x"})
        assert len(got) == 1

    asyncio.run(main())


@contextlib.asynccontextmanager
async def _processes(count: int) -> AsyncIterator[list[RedisBroker]]:
    """``count`` processes' brokers on one new prefix, started, and stopped afterwards."""
    prefix = f"marketdesk-test:{uuid.uuid4().hex[:8]}:"
    brokers = [RedisBroker(REDIS_URL, prefix=prefix) for _ in range(count)]
    for broker in brokers:
        await broker.start()
    try:
        yield brokers
    finally:
        for broker in brokers:
            await broker.stop()


@contextlib.asynccontextmanager
async def _two_processes() -> AsyncIterator[
    tuple[RedisBroker, list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]
]:
    """Two processes' brokers on one prefix, each with a subscriber of ``conversation:1``:
    → (this process's broker, what its subscriber got, what the other's got)."""
    async with _processes(2) as (here, there):
        local, local_handler = _collector()
        remote, remote_handler = _collector()
        await here.subscribe(["conversation:1"], local_handler).ready()
        await there.subscribe(["conversation:1"], remote_handler).ready()
        yield here, local, remote


def _refuse_first_publish(broker: RedisBroker) -> None:
    """Redis refuses the broker's next ``PUBLISH`` (as when it has just gone away), then takes
    them again."""
    publish = broker._redis.publish
    refused: list[Any] = []

    async def refuse_once(channel: str, data: Any) -> Any:
        if not refused:
            refused.append(data)
            raise ConnectionError("Redis went away")
        return await publish(channel, data)

    broker._redis.publish = refuse_once


async def _wait_for(got: list, count: int) -> None:
    async with asyncio.timeout(10):
        while len(got) < count:  # noqa: ASYNC110 - handlers are plain callbacks
            await asyncio.sleep(0.01)


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_redis_brokers_with_one_prefix_share_events_and_others_do_not() -> None:
    async def main() -> None:
        prefix = f"marketdesk-test:{uuid.uuid4().hex[:8]}:"
        first, second = RedisBroker(REDIS_URL, prefix=prefix), RedisBroker(REDIS_URL, prefix=prefix)
        stranger = RedisBroker(REDIS_URL, prefix=prefix + "other:")
        for broker in (first, second, stranger):
            await broker.start()
        try:
            got, handler = _collector()
            foreign, foreign_handler = _collector()
            await second.subscribe(["conversation:5", "line:general"], handler).ready()
            await stranger.subscribe(["conversation:5"], foreign_handler).ready()
            await first.publish(["conversation:5", "line:general"], {"type": "message", "n": 1})
            await first.publish(["conversation:6"], {"type": "message", "n": 2})
            await first.publish(["conversation:5"], {"type": "message", "n": 3})
            await _wait_for(got, 2)
            await asyncio.sleep(0.2)
            assert [e["n"] for _, e in got] == [1, 3]
            assert foreign == []
        finally:
            for broker in (first, second, stranger):
                await broker.stop()

    asyncio.run(main())


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_after_losing_redis_the_broker_reconnects_and_asks_for_a_resync() -> None:
    async def main() -> None:
        prefix = f"marketdesk-test:{uuid.uuid4().hex[:8]}:"
        broker = RedisBroker(REDIS_URL, prefix=prefix)
        await broker.start()
        try:
            got, handler = _collector()
            await broker.subscribe(["conversation:1"], handler).ready()
            kill_subscriptions(broker)
            await _wait_for(got, 1)
            assert got[0][1] == {"type": "resync"}
            publisher = RedisBroker(REDIS_URL, prefix=prefix)
            await publisher.start()
            await publisher.publish(["conversation:1"], {"type": "message", "n": 1})
            await _wait_for(got, 2)
            assert got[1][1] == {"type": "message", "n": 1}
            await publisher.stop()
        finally:
            await broker.stop()

    asyncio.run(main())


def broker_name(_broker: RedisBroker) -> str:
    import os

    return f"marketdesk-{os.getpid()}"


def kill_subscriptions(broker: RedisBroker) -> None:
    """Kill, on the Redis server, the pub/sub connections named as ``broker``'s (every
    broker of this process has that name: each of them loses its subscription)."""
    admin = redis.Redis.from_url(REDIS_URL)
    mine = [
        c["id"] for c in admin.client_list(_type="pubsub") if c.get("name") == broker_name(broker)
    ]
    assert mine, "the broker's subscription is not on the server"
    for client_id in mine:
        admin.client_kill_filter(_id=client_id)


@pytest.mark.skipif(not redis_available(), reason="no Redis server at 127.0.0.1:6379")
def test_an_event_delivered_only_locally_makes_every_process_resync() -> None:
    """A publish that Redis refused reached this process's sockets only; the other processes
    may already have their subscription back and would never hear of it: once Redis takes
    messages again, every process's subscribers are told to re-read (a real Redis server;
    the refusal is the first publish failing)."""

    async def main() -> None:
        async with _two_processes() as (here, local, remote):
            _refuse_first_publish(here)
            await here.publish(["conversation:1"], {"type": "message", "n": 1})
            assert [e for _, e in local] == [{"type": "message", "n": 1}]  # locally, at once
            await _wait_for(remote, 1)
            assert [e for _, e in remote] == [{"type": "resync"}]  # the other one re-reads
            await _wait_for(local, 2)
            assert local[1][1] == {"type": "resync"}

    asyncio.run(main())


async def _published_through_redis(
    publish: Callable[[RedisBroker], Awaitable[object]], count: int
) -> tuple[list[int], int]:
    """``publish(first)`` on one process's broker, events ``{"n": …}`` on ``conversation:9``:
    → the ``n`` of what another process's subscriber got, in order, and how many Redis
    messages carried them."""
    async with _processes(2) as (first, second):
        raw = redis.asyncio.Redis.from_url(REDIS_URL)
        listener = raw.pubsub()
        await listener.subscribe(first.prefix + "c:conversation:9")
        try:
            got, handler = _collector()
            await second.subscribe(["conversation:9"], handler).ready()
            await publish(first)
            await _wait_for(got, count)
            messages = 0
            while (message := await listener.get_message(timeout=0.3)) is not None:
                messages += message["type"] == "message"
            return [e["n"] for _, e in got], messages
        finally:
            await listener.aclose()
            await raw.aclose()


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_events_published_together_go_out_as_fewer_messages_in_their_order() -> None:
    """The events a process's writers publish while the broker's last message is on its way
    go to Redis together as the next message: the other process gets every one, once, in
    the order they were published, from fewer Redis messages than events."""

    async def sixty_writers(first: RedisBroker) -> object:
        return await asyncio.gather(
            *(first.publish(["conversation:9"], {"type": "message", "n": n}) for n in range(60))
        )

    order, messages = asyncio.run(_published_through_redis(sixty_writers, 60))
    assert order == list(range(60))
    assert 1 <= messages < 60


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_a_commits_events_go_to_redis_as_one_message_in_their_order() -> None:
    """``publish_all`` (what a commit's collector and the chat writer's batch call): the
    events of one commit reach the other process in order, from one Redis message."""

    async def one_commit(first: RedisBroker) -> object:
        events = [(["conversation:9"], {"type": "message", "n": n}) for n in range(3)]
        await publish_all(first.publish, events)
        return None

    order, messages = asyncio.run(_published_through_redis(one_commit, 3))
    assert order == [0, 1, 2]
    assert messages == 1


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_a_refused_batch_reaches_this_process_whole_and_a_bad_event_fails_only_its_caller() -> None:
    async def main() -> tuple[list[int], list[int], type[BaseException] | None]:
        async with _two_processes() as (here, local, remote):
            _refuse_first_publish(here)
            await asyncio.gather(
                *(here.publish(["conversation:1"], {"type": "message", "n": n}) for n in range(5))
            )
            # every event of the refused message, here at once, in order
            delivered_here = [e["n"] for _, e in local if e["type"] == "message"]
            failure: type[BaseException] | None = None
            results = await asyncio.gather(
                here.publish(["conversation:1"], {"type": "message", "n": 5}),
                here.publish(["conversation:1"], {"type": "message", "n": object()}),
                here.publish(["conversation:1"], {"type": "message", "n": 6}),
                return_exceptions=True,
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            failure = type(failures[0]) if len(failures) == 1 else None
            await _wait_for(remote, 3)
            return delivered_here, [e.get("n", -1) for _, e in remote], failure

    delivered_here, remote, failure = asyncio.run(main())
    assert delivered_here[:5] == [0, 1, 2, 3, 4]
    # the other process: the two good events, and the resync the refusal asked for
    assert [n for n in remote if n != -1] == [5, 6] and -1 in remote
    assert failure is TypeError


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_a_sender_that_fails_unexpectedly_leaves_no_publisher_waiting() -> None:
    async def main() -> tuple[list[int], int]:
        broker = RedisBroker(REDIS_URL, prefix=f"marketdesk-test:{uuid.uuid4().hex[:8]}:")
        await broker.start()
        try:
            got, handler = _collector()
            await broker.subscribe(["conversation:3"], handler).ready()
            send = broker._send
            failed: list[int] = []

            async def fail_once(batch: Any) -> None:
                if not failed:
                    failed.append(len(batch))
                    raise RuntimeError("a bug in the sender")
                await send(batch)

            broker._send = fail_once  # type: ignore[method-assign]
            async with asyncio.timeout(5):
                await broker.publish(["conversation:3"], {"type": "message", "n": 1})
                await broker.publish(["conversation:3"], {"type": "message", "n": 2})
                await _wait_for(got, 2)
            return [e["n"] for _, e in got], len(failed)
        finally:
            await broker.stop()

    assert asyncio.run(main()) == ([1, 2], 1)


def _numsub(admin: redis.Redis, channel: str) -> int:
    return int(admin.pubsub_numsub(channel)[0][1])


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_a_process_reads_from_redis_only_the_channels_its_subscribers_listen_on() -> None:
    """The fan-out of several nodes: another process's events of a conversation nobody
    here listens on never reach this process; Redis holds its subscription of a channel
    while a subscriber listens on it, and drops it with the last one."""

    async def main() -> None:
        async with _processes(2) as (here, there):
            admin = redis.Redis.from_url(REDIS_URL)
            channel = there.prefix + "c:conversation:1"
            try:
                got, handler = _collector()
                subscription = there.subscribe(["conversation:1"], handler)
                await subscription.ready()
                assert _numsub(admin, channel) == 1
                assert _numsub(admin, there.prefix + "c:conversation:2") == 0
                before = there.received
                for n in range(30):
                    await here.publish(["conversation:2"], {"type": "message", "n": n})
                await here.publish(["conversation:1"], {"type": "message", "n": 30})
                await _wait_for(got, 1)
                await asyncio.sleep(0.2)
                assert [e["n"] for _, e in got] == [30]
                assert there.received - before == 1  # not 31: the others never came
                subscription.close()
                async with asyncio.timeout(5):
                    while _numsub(admin, channel):  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
                await here.publish(["conversation:1"], {"type": "message", "n": 31})
                await asyncio.sleep(0.2)
                assert there.received - before == 1
            finally:
                admin.close()

    asyncio.run(main())


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_a_subscriber_of_several_channels_gets_each_event_once_and_in_order() -> None:
    """Events of one or several channels, one after another and published together: in
    another process, a subscriber of two of the channels gets each once, in the order of
    publication, and a subscriber of one gets those of its channel."""

    async def main() -> tuple[list[int], list[int]]:
        async with _processes(2) as (here, there):
            both, both_handler = _collector()
            one, one_handler = _collector()
            await there.subscribe(["operator:7", "line:general"], both_handler).ready()
            await there.subscribe(["line:general"], one_handler).ready()
            plan = [
                ["line:general"],
                ["conversation:4", "operator:7", "line:general"],
                ["operator:7"],
                ["line:general", "operator:7"],
                ["conversation:4"],
                ["line:general"],
            ]
            for n, channels in enumerate(plan):  # one at a time
                await here.publish(channels, {"type": "x", "n": n})
            await asyncio.gather(  # together: one round trip
                *(
                    here.publish(channels, {"type": "x", "n": 10 + n})
                    for n, channels in enumerate(plan)
                )
            )
            await _wait_for(both, 10)
            await _wait_for(one, 8)
            await asyncio.sleep(0.2)
            return [e["n"] for _, e in both], [e["n"] for _, e in one]

    both, one = asyncio.run(main())
    assert both == [0, 1, 2, 3, 5, 10, 11, 12, 13, 15]
    assert one == [0, 1, 3, 5, 10, 11, 13, 15]


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_once_ready_a_subscriber_gets_what_another_process_publishes_at_once() -> None:
    """``ready()`` returns once Redis has the process's subscription: an event another
    process publishes right after it is never lost (twenty new channels, each published
    to by another client, without a pause, the moment its subscriber is ready)."""

    async def main() -> list[int]:
        async with _processes(1) as (there,):
            other = redis.Redis.from_url(REDIS_URL)  # another process's publish, as it sends it
            try:
                got, handler = _collector()
                for n in range(20):
                    channel = f"conversation:{100 + n}"
                    await there.subscribe([channel], handler).ready()
                    envelope = {"channels": [channel], "event": {"type": "x", "n": n}}
                    other.publish(there.prefix + "c:" + channel, json.dumps(envelope))
                await _wait_for(got, 20)
                return [e["n"] for _, e in got]
            finally:
                other.close()

    assert asyncio.run(main()) == list(range(20))
