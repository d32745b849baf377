"""Publish/subscribe of live events: in-process, or through Redis between server processes.

Subscribers give a handler that must not block (it puts the event on a bounded queue of its
own); the broker fans events out to the subscribers of each channel. Events are a live
signal only: the database is the record, and a client that missed something re-reads it
(messages carry a strict per-conversation ``seq``). A subscriber that re-reads what it
missed awaits :meth:`Subscription.ready` first: from then on every event of its channels
reaches it, whichever process publishes it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson

__all__ = [
    "CONFIRM_TIMEOUT",
    "Broker",
    "Handler",
    "InProcessBroker",
    "RedisBroker",
    "Subscription",
    "create_broker",
]

log = logging.getLogger("marketdesk.realtime")

PING_TIMEOUT = 2.0
"""Seconds a readiness check waits for Redis before calling it down."""
CONFIRM_TIMEOUT = 2.0
"""Seconds :meth:`Subscription.ready` waits for Redis's confirmation of a subscription."""

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
                self._hub.add(channel, self)

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

    async def ready(self) -> None:
        """Returns once the events of this subscription's channels published from now on,
        in any process, reach it (with Redis: once Redis has confirmed the process's
        subscription of each, or :data:`CONFIRM_TIMEOUT` seconds if Redis does not answer;
        a resync follows when it comes back). Await it before re-reading what was missed."""
        if self._hub.confirm is not None:
            await self._hub.confirm(self)


class _Hub:
    """The local fan-out shared by both brokers. ``changed`` is called when a channel gets
    its first subscriber of this process or loses its last; ``confirm`` is what
    :meth:`Subscription.ready` awaits (both set by the Redis broker)."""

    def __init__(self) -> None:
        self.subscribers: defaultdict[str, set[Subscription]] = defaultdict(set)
        self.all: set[Subscription] = set()
        self.changed: Callable[[], None] | None = None
        self.confirm: Callable[[Subscription], Awaitable[None]] | None = None

    def subscribe(self, channels: Iterable[str], handler: Handler) -> Subscription:
        subscription = Subscription(self, handler)
        self.all.add(subscription)
        subscription.add(*channels)
        return subscription

    def add(self, channel: str, subscription: Subscription) -> None:
        subscribers = self.subscribers[channel]
        subscribers.add(subscription)
        if len(subscribers) == 1 and self.changed is not None:
            self.changed()

    def remove(self, channel: str, subscription: Subscription) -> None:
        subscribers = self.subscribers.get(channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self.subscribers[channel]
                if self.changed is not None:
                    self.changed()

    def deliver(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        """Once to every subscriber of any of ``channels`` (not once per channel)."""
        seen: set[int] = set()
        for channel in channels:
            for subscription in list(self.subscribers.get(channel, ())):
                if id(subscription) not in seen:
                    seen.add(id(subscription))
                    self._call(subscription, channel, event)

    def deliver_from(self, channel: str, channels: list[str], event: dict[str, Any]) -> None:
        """``event`` (published to ``channels``) as it came from Redis on ``channel``: to
        the subscribers of ``channel`` for whom it is the first of ``channels`` they have
        (a subscriber of several gets the event once, from the first of them)."""
        for subscription in list(self.subscribers.get(channel, ())):
            mine = subscription.channels
            if next((c for c in channels if c in mine), channel) == channel:
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

    def has_channel_starting(self, prefix: str) -> bool:
        """Whether a subscriber of this process listens on a channel whose name starts with
        ``prefix`` (``operator:``: an operator's socket is open here)."""
        return any(channel.startswith(prefix) for channel in self._hub.subscribers)

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

    Each channel is a Redis channel of its own (``{prefix}c:{channel}``), and a process
    subscribes to the channels its subscribers listen on, and to those only: an event
    reaches the processes that want it, not every process (the fan-out grows with the
    sockets that listen, not with the number of nodes). An event of several channels goes
    to each; a subscriber of more than one of them gets it once. The events a process
    publishes while its last message is on its way go out together as the next round trip,
    in order: a run of events for the same channels as one message (``{"batch": [...]}``).
    The process-wide ``resync`` goes on ``{prefix}events``, which every process listens on.
    The prefix separates installations sharing one Redis server; by default it is derived
    from the database URL, so processes on one database share their events.
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
        # the subscription's connection while it is up, the channels asked of it, and for
        # each channel asked and not yet confirmed, a future per SUBSCRIBE sent (in order)
        self._pubsub: Any = None
        self._asked: set[str] = set()
        self._confirming: defaultdict[str, deque[asyncio.Future[None]]] = defaultdict(deque)
        self._sync_lock = asyncio.Lock()
        self._syncing: asyncio.Task[None] | None = None
        self._dirty = False
        self._publish_all: Any = None  # redis-py's Script: untyped
        self.received = 0
        """Messages this process has read from Redis (each carries one or more events)."""
        self._hub.changed = self._channels_changed
        self._hub.confirm = self._confirm

    @property
    def channels(self) -> int:
        """The channels this process has asked Redis for (its subscribers')."""
        return len(self._asked)

    def _key(self, channel: str) -> str:
        return f"{self.prefix}c:{channel}"

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
        for task in (self._sender, self._task, self._resync_task, self._syncing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._release_waiters()
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

    # ------------------------------------------------------------------ subscribing
    def _channels_changed(self) -> None:
        """A channel got its first local subscriber or lost its last: Redis is told soon."""
        self._dirty = True
        if self._pubsub is not None and (self._syncing is None or self._syncing.done()):
            self._syncing = asyncio.get_running_loop().create_task(
                self._sync_while_changed(), name="marketdesk-redis-subscriptions"
            )

    async def _sync_while_changed(self) -> None:
        while self._dirty:
            self._dirty = False
            await self._sync()

    async def _sync(self) -> None:
        """Subscribe the subscription's connection to the channels this process's
        subscribers listen on, and unsubscribe it from the others."""
        async with self._sync_lock:
            pubsub = self._pubsub
            if pubsub is None:  # reconnecting: the new connection asks for them all
                return
            wanted = set(self._hub.subscribers)
            new, gone = wanted - self._asked, self._asked - wanted
            self._expect(new)
            self._asked = wanted
            try:
                if new:
                    await pubsub.subscribe(*(self._key(channel) for channel in new))
                if gone:
                    await pubsub.unsubscribe(*(self._key(channel) for channel in gone))
            except Exception as exc:  # the listener reconnects and asks for every channel
                log.warning("redis subscription change failed (%s)", exc)

    def _expect(self, channels: Iterable[str]) -> None:
        """A SUBSCRIBE of ``channels`` is being sent: a confirmation of each to wait for."""
        loop = asyncio.get_running_loop()
        for channel in channels:
            self._confirming[channel].append(loop.create_future())

    async def _confirm(self, subscription: Subscription) -> None:
        if self._pubsub is None:  # Redis away: a resync follows its return
            return
        await self._sync()
        waiting = [
            self._confirming[channel][-1]
            for channel in subscription.channels
            if self._confirming.get(channel)
        ]
        if waiting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(asyncio.gather(*waiting)), CONFIRM_TIMEOUT)

    def _confirmed(self, redis_channel: bytes | str) -> None:
        """Redis confirmed a SUBSCRIBE of ``redis_channel``."""
        name = redis_channel.decode() if isinstance(redis_channel, bytes) else redis_channel
        if name == self.prefix + "events":  # a (re)connection: every channel asked before it
            self._release_waiters()
            return
        futures = self._confirming.get(name.removeprefix(self.prefix + "c:"))
        if futures:
            future = futures.popleft()
            if not future.done():
                future.set_result(None)

    def _release_waiters(self) -> None:
        for futures in self._confirming.values():
            for future in futures:
                if not future.done():
                    future.set_result(None)
        self._confirming.clear()

    # ------------------------------------------------------------------ publishing
    async def publish(self, channels: Iterable[str], event: dict[str, Any]) -> None:
        """Returns once Redis has taken the event, or, when it refused, once this process's
        subscribers have had it. The events published meanwhile by this process's other
        writers go out with it, in one round trip, in the order they were published."""
        if self._sender is None or self._sender.done():  # not started, or stopped
            self._hub.deliver(list(channels), event)
            return
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.append((list(channels), event, sent))
        self._wake.set()
        await sent

    async def _send_loop(self) -> None:
        """The process's one sender: whatever was published while the last round trip was
        on its way goes out in the next (one round trip, and a message for each run of
        events for the same channels, instead of one each)."""
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
        # runs of consecutive events for the same channels, each sent to each of its
        # channels: a subscriber of any of them reads the events in their order
        runs: list[tuple[list[str], list[bytes]]] = []
        going: list[_Outgoing] = []
        for item in batch:
            channels, event, sent = item
            try:
                part = orjson.dumps(
                    {"channels": channels, "event": event}, option=orjson.OPT_NON_STR_KEYS
                )
            except TypeError as exc:  # the publisher's mistake: its own call fails
                if not sent.done():
                    sent.set_exception(exc)
                continue
            going.append(item)
            if runs and runs[-1][0] == channels:
                runs[-1][1].append(part)
            else:
                runs.append((channels, [part]))
        if not going:
            return
        messages = [
            (self._key(channel), parts[0] if len(parts) == 1 else _batch(parts))
            for channels, parts in runs
            for channel in dict.fromkeys(channels)
        ]
        try:
            await self._publish(messages)
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

    async def _publish(self, messages: list[tuple[str, bytes]]) -> None:
        """The messages in one round trip, in their order: several in one script call (one
        command for redis-py to pack and Redis to read, not one each)."""
        if len(messages) == 1:
            await self._redis.publish(*messages[0])
            return
        if self._publish_all is None:
            self._publish_all = self._redis.register_script(_PUBLISH_ALL)
        await self._publish_all(args=[part for message in messages for part in message])

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

    # ------------------------------------------------------------------ listening
    async def _listen(self) -> None:
        delay = 0.2
        first = True
        while True:
            pubsub = self._redis.pubsub()
            try:
                async with self._sync_lock:
                    self._asked = set(self._hub.subscribers)
                    self._expect(self._asked)
                    # the process-wide channel last: its confirmation confirms them all
                    await pubsub.subscribe(
                        *(self._key(channel) for channel in self._asked), self.prefix + "events"
                    )
                    self._pubsub = pubsub
                delay = 0.2
                async for message in pubsub.listen():
                    kind = message.get("type")
                    if kind == "message":
                        self._received(message["channel"], message["data"])
                    elif kind == "subscribe":
                        self._confirmed(message["channel"])
                        if message["channel"] == (self.prefix + "events").encode():
                            self._ready.set()
                            if not first:
                                self._hub.deliver_all({"type": "resync"})
                            first = False
            except asyncio.CancelledError:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except Exception as exc:
                log.warning("redis subscription lost (%s); reconnecting", exc)
            self._pubsub = None
            self._release_waiters()  # they go on; a resync follows the reconnection
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _received(self, redis_channel: bytes, data: bytes) -> None:
        self.received += 1
        try:
            envelope = orjson.loads(data)
            if envelope.get("resync") is True:
                self._hub.deliver_all({"type": "resync"})
                return
            events = [
                (list(item["channels"]), dict(item["event"]))
                for item in envelope.get("batch") or (envelope,)
            ]
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("ignoring a malformed event from redis")
            return
        channel = redis_channel.decode().removeprefix(self.prefix + "c:")
        for channels, event in events:
            self._hub.deliver_from(channel, channels, event)


def _batch(parts: list[bytes]) -> bytes:
    return b'{"batch":[' + b",".join(parts) + b"]}"


_PUBLISH_ALL = """
for i = 1, #ARGV, 2 do
  redis.call('publish', ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
"""
"""``ARGV``: channel, message, channel, message, …: each published, in order."""

_RESYNC_ENVELOPE = orjson.dumps({"resync": True})
"""Every process's subscribers re-read from the database (see ``_tell_everyone_to_resync``)."""


def create_broker(redis_url: str | None, database_url: str) -> Broker:
    """Redis when configured, in-process otherwise."""
    if not redis_url:
        return InProcessBroker()
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return RedisBroker(redis_url, prefix=f"marketdesk:{digest}:")
