"""Publish/subscribe of live events: in-process, or through Redis between server processes.

Subscribers give a handler that must not block (it puts the event on a bounded queue of its
own); the broker fans events out to the subscribers of each channel. Events are a live
signal only: the database is the record, and a client that missed something re-reads it
(messages carry a strict per-conversation ``seq``)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import orjson

__all__ = ["Broker", "Handler", "InProcessBroker", "RedisBroker", "Subscription", "create_broker"]

log = logging.getLogger("marketdesk.realtime")

PING_TIMEOUT = 2.0
"""Seconds a readiness check waits for Redis before calling it down."""

Handler = Callable[[str, dict[str, Any]], None]
"""``handler(channel, event)``: called in the event loop; must return at once."""

_Outgoing = tuple[list[str], dict[str, Any], "asyncio.Future[None]"]
"""An event waiting for the Redis broker's sender: its channels, itself, and the future its
publisher awaits."""


class Subscription:
    """One subscriber's interest in some channels; ``close()`` ends it."""

    def __init__(self, hub: _Hub, handler: Handler) -> None:
        self._hub = hub
        self.handler = handler
        self.channels: set[str] = set()
        self.closed = False

    def add(self, *channels: str) -> None:
        for channel in channels:
            if channel not in self.channels:
                self.channels.add(channel)
                self._hub.subscribers[channel].add(self)

    def discard(self, channel: str) -> None:
        if channel in self.channels:
            self.channels.discard(channel)
            self._hub.remove(channel, self)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for channel in list(self.channels):
            self._hub.remove(channel, self)
        self.channels.clear()
        self._hub.all.discard(self)


class _Hub:
    """The local fan-out shared by both brokers."""

    def __init__(self) -> None:
        self.subscribers: defaultdict[str, set[Subscription]] = defaultdict(set)
        self.all: set[Subscription] = set()

    def subscribe(self, channels: Iterable[str], handler: Handler) -> Subscription:
        subscription = Subscription(self, handler)
        self.all.add(subscription)
        subscription.add(*channels)
        return subscription

    def remove(self, channel: str, subscription: Subscription) -> None:
        subscribers = self.subscribers.get(channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self.subscribers[channel]

    def deliver(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        """Once to every subscriber of any of ``channels`` (not once per channel)."""
        seen: set[int] = set()
        for channel in channels:
            for subscription in list(self.subscribers.get(channel, ())):
                if id(subscription) not in seen:
                    seen.add(id(subscription))
                    self._call(subscription, channel, event)

    def deliver_all(self, event: dict[str, Any]) -> None:
        for subscription in list(self.all):
            self._call(subscription, "*", event)

    @staticmethod
    def _call(subscription: Subscription, channel: str, event: dict[str, Any]) -> None:
        try:
            subscription.handler(channel, event)
        except Exception:
            log.exception("subscriber failed on %s", channel)


class Broker(ABC):
    """Where services publish after commit and sockets subscribe."""

    def __init__(self) -> None:
        self._hub = _Hub()

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect (Redis); the in-process broker has nothing to do."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect."""

    @abstractmethod
    async def publish(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        """Send ``event`` to the subscribers of each channel (in every process)."""

    async def ping(self) -> bool:
        """Whether the broker can carry events between processes right now (readiness);
        the in-process broker always can."""
        return True

    def subscribe(self, channels: Iterable[str], handler: Handler) -> Subscription:
        return self._hub.subscribe(channels, handler)

    @property
    def subscriber_count(self) -> int:
        return len(self._hub.all)

    def has_subscribers(self, channel: str) -> bool:
        """Whether a subscriber of this process listens on ``channel``."""
        return bool(self._hub.subscribers.get(channel))

    def deliver_here(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        """``event`` to this process's subscribers of ``channels`` only: for what every
        process computes the same by itself (the wallboard's snapshot), not for changes."""
        self._hub.deliver(channels, event)


class InProcessBroker(Broker):
    """One server process: events go straight to the local subscribers."""

    async def publish(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        self._hub.deliver(channels, event)


class RedisBroker(Broker):
    """Several server processes: every event goes through Redis pub/sub.

    Events go to Redis on ``{prefix}events``, each with its channel list; the events a
    process publishes while its last message is on its way go out together as the next one
    (``{"batch": [...]}``), in order. Each process keeps one subscription and fans events
    out to its own sockets. The prefix separates installations sharing one Redis server; by
    default it is derived from the database URL, so processes on one database share their
    events.
    If Redis goes away, publishing falls back to local delivery and, once the connection is
    back, every local subscriber gets a ``resync`` event to re-read what it may have missed;
    a process that delivered an event locally also asks every process, through Redis once it
    answers again, to resync (the others may have resubscribed before that event).
    """

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # the events waiting for the sender, each with its publisher's future
        self._outbox: list[_Outgoing] = []
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import redis.asyncio as aioredis

        # named, so that an administrator (or a test) can find this process's connections
        self._redis = aioredis.Redis.from_url(self.url, client_name=f"marketdesk-{os.getpid()}")
        self._task = asyncio.create_task(self._listen(), name="marketdesk-redis-listener")
        self._sender = asyncio.create_task(self._send_loop(), name="marketdesk-redis-sender")
        # wait (briefly) for the subscription, so that nothing published after start is lost
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def stop(self) -> None:
        for task in (self._sender, self._task, self._resync_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # what was not sent reaches this process's sockets at least
        outbox, self._outbox = self._outbox, []
        self._deliver_locally(outbox)
        if self._redis is not None:
            await self._redis.aclose()

    async def ping(self) -> bool:
        """Redis answers PING within ``PING_TIMEOUT`` seconds."""
        if self._redis is None:
            return False
        # twice: the first try may meet a pooled connection that died while Redis was away
        for attempt in (1, 2):
            try:
                async with asyncio.timeout(PING_TIMEOUT):
                    return bool(await self._redis.ping())
            except Exception as exc:  # refused, reset, timed out, or an error reply
                log.warning("redis ping failed (%s, try %d)", exc, attempt)
        return False

    async def publish(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        """Returns once Redis has taken the event, or, when it refused, once this process's
        subscribers have had it. The events published meanwhile by this process's other
        writers go out with it, as one Redis message, in the order they were published."""
        if self._sender is None or self._sender.done():  # not started, or stopped
            self._hub.deliver(list(channels), event)
            return
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.append((list(channels), event, sent))
        self._wake.set()
        await sent

    async def _send_loop(self) -> None:
        """The process's one sender: whatever was published while the last message was on
        its way goes out as the next message (one round trip and one message for each
        process to read, instead of one per event)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch, self._outbox = self._outbox, []
                try:
                    await self._send(batch)
                except asyncio.CancelledError:
                    raise
                except Exception:  # never leave a publisher waiting
                    log.exception("the redis sender failed; delivering locally")
                    self._deliver_locally(batch)

    async def _send(self, batch: list[_Outgoing]) -> None:
        parts: list[bytes] = []
        going: list[_Outgoing] = []
        for item in batch:
            channels, event, sent = item
            try:
                parts.append(
                    orjson.dumps(
                        {"channels": channels, "event": event}, option=orjson.OPT_NON_STR_KEYS
                    )
                )
            except TypeError as exc:  # the publisher's mistake: its own call fails
                if not sent.done():
                    sent.set_exception(exc)
                continue
            going.append(item)
        if not going:
            return
        data = parts[0] if len(parts) == 1 else b'{"batch":[' + b",".join(parts) + b"]}"
        try:
            await self._redis.publish(self.prefix + "events", data)
        except asyncio.CancelledError:
            self._deliver_locally(going)
            raise
        except Exception as exc:  # Redis down: at least this process's sockets hear it
            log.warning("redis publish failed (%s); delivering locally", exc)
            self._deliver_locally(going)
            self._tell_everyone_to_resync()
            return
        for _, _, sent in going:
            if not sent.done():
                sent.set_result(None)

    def _deliver_locally(self, batch: list[_Outgoing]) -> None:
        for channels, event, sent in batch:
            self._hub.deliver(channels, event)
            if not sent.done():
                sent.set_result(None)

    def _tell_everyone_to_resync(self) -> None:
        """An event reached only this process: once Redis takes messages again, every
        process's subscribers re-read from the database (the other processes may have got
        back their own subscription before this event, and would never hear of it)."""
        if self._resync_task is None or self._resync_task.done():
            self._resync_task = asyncio.create_task(
                self._publish_resync(), name="marketdesk-redis-resync"
            )

    async def _publish_resync(self) -> None:
        delay = 0.2
        while True:
            await asyncio.sleep(delay)
            try:
                await self._redis.publish(self.prefix + "events", _RESYNC_ENVELOPE)
                return
            except Exception as exc:
                log.warning("redis still refuses the resync (%s)", exc)
                delay = min(delay * 2, 5.0)

    async def _listen(self) -> None:
        delay = 0.2
        first = True
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.prefix + "events")
                self._ready.set()
                if not first:
                    self._hub.deliver_all({"type": "resync"})
                first = False
                delay = 0.2
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        envelope = orjson.loads(message["data"])
                        if envelope.get("resync") is True:
                            self._hub.deliver_all({"type": "resync"})
                            continue
                        events = [
                            (list(item["channels"]), dict(item["event"]))
                            for item in envelope.get("batch") or (envelope,)
                        ]
                    except (ValueError, TypeError, KeyError, AttributeError):
                        log.warning("ignoring a malformed event from redis")
                        continue
                    for channels, event in events:
                        self._hub.deliver(channels, event)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except Exception as exc:
                log.warning("redis subscription lost (%s); reconnecting", exc)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


_RESYNC_ENVELOPE = orjson.dumps({"resync": True})
"""Every process's subscribers re-read from the database (see ``_tell_everyone_to_resync``)."""


def create_broker(redis_url: str | None, database_url: str) -> Broker:
    """Redis when configured, in-process otherwise."""
    if not redis_url:
        return InProcessBroker()
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return RedisBroker(redis_url, prefix=f"marketdesk:{digest}:")
