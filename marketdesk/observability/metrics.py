"""The Prometheus metrics of one application (``/metrics``, ``marketdesk.api.metrics``).

Each application has a registry of its own (not prometheus-client's global one), so that
the tests, which build many applications in one process, do not collide. The names are
listed in the README («Operations») and read by ``deploy/grafana/marketdesk.json``. With
several server processes the values live in files they share and any of them reports them
all (``marketdesk.observability.multiprocess``).

Who feeds what:

- HTTP requests and open sockets: :class:`.middleware.ObservabilityMiddleware`;
- messages stored and the bot's answers by action: every live event the server publishes
  after a commit (:meth:`Metrics.count_publications` wraps the broker's ``publish``), so a
  message is counted once, by the process that stored it;
- the chat writer's batches and commit time: the writer's ``observer`` hook;
- SLA breaches: the SLA timer's ``on_escalated`` hook (tasks) and ``chat_sla_breached``
  (the chat's clocks, by kind);
- the database pool, the writer's one-by-one fallbacks and the SQLite write lock's use: read
  at scrape time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from marketdesk.domain.sla import SlaKind
from marketdesk.store.file_locks import LockStats

from .multiprocess import (
    StartedFilesCollector,
    WorkerProcesses,
    forget_process,
    multiprocess_directory,
)

__all__ = ["BOT_ACTIONS", "SENDER_KINDS", "SOCKET_KINDS", "Metrics"]

SOCKET_KINDS = ("conversation", "operator")
SENDER_KINDS = ("customer", "visitor", "operator", "bot", "system")
BOT_ACTIONS = ("answer", "handoff", "refusal")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

Publish = Callable[[Iterable[str], dict[str, Any]], Awaitable[None]]


class _Pool(Protocol):
    def checkedout(self) -> int: ...
    def size(self) -> int: ...


class _WriterStats(Protocol):
    one_by_one: int


@runtime_checkable
class _BrokerStats(Protocol):
    @property
    def channels(self) -> int: ...
    @property
    def received(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _Reading:
    name: str
    documentation: str
    kind: Literal["gauge", "counter"]
    value: float


_LOCK_READINGS = (
    ("acquisitions", "Times this process took the SQLite database's write lock."),
    ("other_process_waits", "Times it found another server process holding the write lock."),
    (
        "wait_seconds",
        "Seconds its writers waited for the write lock (behind this process's writers, "
        "then the other processes').",
    ),
    (
        "held_seconds",
        "Seconds it held the write lock (its rate, summed over the processes: how busy "
        "the database's one writer is).",
    ),
)


class _ReadAtScrape(Collector):
    """What is read rather than counted: the database pool, the writer's fallbacks, the SQLite
    write lock's use, the Redis broker's channels and what it read."""

    def __init__(self) -> None:
        self.pool: Callable[[], object] | None = None
        self.writer_stats: Callable[[], _WriterStats | None] | None = None
        self.write_lock_stats: Callable[[], LockStats | None] | None = None
        self.broker: Callable[[], object] | None = None

    def readings(self) -> Iterator[_Reading]:
        pool = self.pool() if self.pool is not None else None
        yield _Reading(
            "marketdesk_db_pool_checked_out",
            "Database connections in use (checked out).",
            "gauge",
            float(_call(pool, "checkedout")),
        )
        yield _Reading(
            "marketdesk_db_pool_size",
            "Connections the database pool keeps open at most.",
            "gauge",
            float(_call(pool, "size")),
        )
        stats = self.writer_stats() if self.writer_stats is not None else None
        yield _Reading(
            "marketdesk_chat_writer_one_by_one",
            "Messages the chat writer stored one by one (they moved the conversation, "
            "carried files, or their batch failed).",
            "counter",
            float(stats.one_by_one if stats is not None else 0),
        )
        broker = self.broker() if self.broker is not None else None
        if isinstance(broker, _BrokerStats):  # in-process: nothing goes through Redis
            yield _Reading(
                "marketdesk_redis_channels",
                "Live channels this process listens on in Redis (its sockets' and workers').",
                "gauge",
                float(broker.channels),
            )
            yield _Reading(
                "marketdesk_redis_messages_received",
                "Messages this process read from Redis (each carries one live event or more).",
                "counter",
                float(broker.received),
            )
        lock = self.write_lock_stats() if self.write_lock_stats is not None else None
        if lock is not None:  # PostgreSQL: no write lock of ours
            for name, documentation in _LOCK_READINGS:
                yield _Reading(
                    f"marketdesk_sqlite_write_lock_{name}",
                    documentation,
                    "counter",
                    float(getattr(lock, name)),
                )

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        for reading in self.readings():
            family_type = GaugeMetricFamily if reading.kind == "gauge" else CounterMetricFamily
            family = family_type(reading.name, reading.documentation)
            family.add_metric([], reading.value)
            yield family

    def describe(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        return iter(())  # read at scrape time: nothing to check at registration


class _WrittenReadings:
    """Several processes: this process's readings written to the shared files (gauges as
    the live processes' sum, counters by what they grew since the last time)."""

    def __init__(self, source: _ReadAtScrape) -> None:
        self._source = source
        self._gauges: dict[str, Gauge] = {}
        self._counters: dict[str, tuple[Counter, float]] = {}

    def write(self) -> None:
        for reading in self._source.readings():
            if reading.kind == "gauge":
                gauge = self._gauges.get(reading.name)
                if gauge is None:
                    gauge = self._gauges[reading.name] = Gauge(
                        reading.name,
                        reading.documentation,
                        multiprocess_mode="livesum",
                        registry=None,
                    )
                gauge.set(reading.value)
                continue
            counter, last = self._counters.get(reading.name, (None, 0.0))
            if counter is None:
                counter = Counter(reading.name, reading.documentation, registry=None)
            if reading.value > last:
                counter.inc(reading.value - last)
            self._counters[reading.name] = (counter, reading.value)


def _call(target: object, method: str) -> int:
    function = getattr(target, method, None)
    if not callable(function):
        return 0
    try:
        return int(function())
    except Exception:  # a pool that cannot say (StaticPool of :memory:)
        return 0


class Metrics:
    """The metrics of one application, in a registry of their own.

    With several server processes (``PROMETHEUS_MULTIPROC_DIR``, set by ``serve --workers
    N``: ``marketdesk.observability.multiprocess``) the values go to the node's shared
    files, and :meth:`exposition` reports every process of the node."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.directory = multiprocess_directory()
        self.requests = Counter(
            "marketdesk_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "marketdesk_http_request_duration_seconds",
            "HTTP request latency by method and route template, seconds.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.sockets = Gauge(
            "marketdesk_websockets_open",
            "Open WebSockets: a conversation's or an operator's.",
            ["socket"],
            multiprocess_mode="livesum",  # several processes: the live ones' sum
            registry=registry,
        )
        self.messages = Counter(
            "marketdesk_messages_stored",
            "Messages stored in conversations, by sender.",
            ["sender"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "marketdesk_chat_writer_batch_size",
            "Messages per group commit of the chat writer.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "marketdesk_chat_writer_commit_seconds",
            "Time the chat writer spent storing and committing one batch, seconds.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.bot_answers = Counter(
            "marketdesk_bot_answers",
            "The bot's replies in conversations, by action (answer, handoff, refusal).",
            ["action"],
            registry=registry,
        )
        self.sla_breaches = Counter(
            "marketdesk_task_sla_breaches",
            "Back-office tasks escalated by the SLA timer (deadline passed).",
            registry=registry,
        )
        self.chat_sla_breaches = Counter(
            "marketdesk_chat_sla_breaches",
            "Chat service-level clocks run out, by clock (first_response, next_response, "
            "resolution), as recorded by the SLA timer.",
            ["kind"],
            registry=registry,
        )
        self._read = _ReadAtScrape()
        self._written: _WrittenReadings | None = None
        if self.directory is None:
            self.exposed = registry
            registry.register(self._read)
            if process:
                ProcessCollector(registry=registry)
        else:  # the node's processes, read from their files (and /proc) at each scrape
            self.exposed = CollectorRegistry(auto_describe=False)
            StartedFilesCollector(self.directory, self.exposed)
            self._written = _WrittenReadings(self._read)
            self._workers = WorkerProcesses(self.directory, process=process)
            self.exposed.register(self._workers)
        for kind in SOCKET_KINDS:  # every series exists from the start (dashboards, alerts)
            self.sockets.labels(kind)
        # the children looked up once: ``labels()`` per message cost a lock and a tuple
        self._messages_by_sender = {sender: self.messages.labels(sender) for sender in SENDER_KINDS}
        self._bot_answers_by_action = {
            action: self.bot_answers.labels(action) for action in BOT_ACTIONS
        }
        for kind in SlaKind:
            self.chat_sla_breaches.labels(kind.value)

    # ------------------------------------------------------------------ exposition
    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type."""
        if self._written is not None:
            self._written.write()  # this process's readings current; the others' refreshed
            self._workers.sweep()  # before the files are read: the dead's gauges dropped
        return generate_latest(self.exposed), CONTENT_TYPE_LATEST

    @property
    def shared(self) -> bool:
        """Whether the values go to files that several processes share."""
        return self._written is not None

    async def write_readings(self, every: float) -> None:
        """Several processes: write this process's readings to the shared files every
        ``every`` seconds (the answering process cannot read the others' memory)."""
        while self._written is not None:
            self._written.write()
            await asyncio.sleep(every)

    def close(self) -> None:
        """At the process's orderly end: its live gauges leave the node's sums."""
        if self.directory is not None:
            forget_process(self.directory)

    # ------------------------------------------------------------------ feeds
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def observe_batch(self, stored: int, seconds: float) -> None:
        """The chat writer's observer: a batch of ``stored`` messages took ``seconds``."""
        self.batch_size.observe(stored)
        self.commit_seconds.observe(seconds)

    def tasks_escalated(self, numbers: Sequence[str]) -> None:
        """The SLA timer's hook: these tasks passed their deadline."""
        self.sla_breaches.inc(len(numbers))

    def chat_sla_breached(self, kinds: Sequence[str]) -> None:
        """The chat SLA timer's hook: clocks of these kinds ran out."""
        for kind in kinds:
            self.chat_sla_breaches.labels(kind).inc()

    def read_pool(self, pool: Callable[[], _Pool | object]) -> None:
        self._read.pool = pool

    def read_writer_stats(self, stats: Callable[[], _WriterStats | None]) -> None:
        self._read.writer_stats = stats

    def read_write_lock_stats(self, stats: Callable[[], LockStats | None]) -> None:
        self._read.write_lock_stats = stats

    def read_broker(self, broker: Callable[[], object]) -> None:
        """The Redis broker's channels and messages read, at each scrape (none in-process)."""
        self._read.broker = broker

    def count_event(self, event: dict[str, Any]) -> None:
        """A live event published after a commit: a stored message is counted (a bot's
        reply by its action too)."""
        if event.get("type") != "message":
            return
        message = event.get("message") or {}
        sender = str(message.get("sender_kind") or "unknown")
        counter = self._messages_by_sender.get(sender)
        (counter if counter is not None else self.messages.labels(sender)).inc()
        bot = message.get("bot")
        if sender == "bot" and isinstance(bot, dict) and bot.get("action"):
            action = str(bot["action"])
            answers = self._bot_answers_by_action.get(action)
            (answers if answers is not None else self.bot_answers.labels(action)).inc()

    def count_publications(self, broker: Any) -> None:
        """Count what ``broker`` publishes (wraps its ``publish``; the callers look it up
        on the broker at each call, so they all go through the count)."""
        publish = broker.publish

        async def publish_counted(channels: Iterable[str], event: dict[str, Any]) -> None:
            self.count_event(event)
            await publish(channels, event)

        broker.publish = publish_counted
