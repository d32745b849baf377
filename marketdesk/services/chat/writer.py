"""Group commit of chat messages: concurrent sends share one transaction and one commit.

A commit that is durable costs a disk flush (PostgreSQL's WAL flush; SQLite in WAL mode
with ``synchronous=FULL``). One commit per message makes the flush rate the ceiling of the
whole chat; here every message that arrives while a batch is being committed joins the
next batch, so under load a batch carries many messages and costs one flush. Nothing
waits on purpose: a lone message is written at once.

Each *lane* is a task with a queue; a conversation always goes to the same lane, so its
messages are stored in the order they were submitted. SQLite allows one writer, so it has
one lane (and takes the process's SQLite write lock while it writes); PostgreSQL has
several, whose commits overlap.

A batch stores only plain messages (see :func:`.batch.store_batch`); whatever moves a
conversation (the bot's answer, a reopening) or is refused goes through
:func:`.sending.store_one` in its own transaction, still in order: each conversation's one
after another, different conversations' side by side. On PostgreSQL one's bot turn does not
wait for another's round trips; on SQLite they take the write lock in turn all the same, but
what each does outside it (the bot's reading, the session, the live events after the
commit) no longer waits for the others: one at a time, the lane got one step of a send for
each round of the event loop, whose other requests then ran in between (bench/README.md).
A read before the batch (:func:`.batch.one_by_one_first`) sends the customers' messages
that the bot answers or that reopen a conversation there at once, without the batch's
attempt: on SQLite a plain read of the file; on PostgreSQL the writer's memory of the states
it saw (:class:`.known_states.KnownStates`), read in one round trip where it lacks one. An
operator's reply passes the privacy guard inside the batch's transaction; one it objects to
stores nothing and its ``submit`` raises :class:`.context.GuardObjected`. A send is
answered only after its commit: the caller acknowledges the message once ``submit`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from marketdesk.domain.lines import Line
from marketdesk.store.db import Database

from .batch import one_by_one_first, store_batch
from .context import GuardObjected
from .events import line_channel
from .known_states import KnownStates
from .lifecycle import first_read
from .sending import SendRequest, store_one
from .views import SendResult

__all__ = ["BatchObserver", "ChatWriter", "WriterStats"]

log = logging.getLogger("marketdesk.chat.writer")

MAX_BATCH = 256
POSTGRES_LANES = 4
RETRIES = 2  # a deadlock or a busy SQLite file: the batch is tried again, then one by one


@dataclass(slots=True)
class WriterStats:
    """Counters for monitoring and tests."""

    lanes: int = 1
    batches: int = 0
    batched_messages: int = 0
    largest_batch: int = 0
    one_by_one: int = 0
    routed_alone: int = 0
    """Of ``one_by_one``: the sends that the read before a batch sent one by one at once."""


BatchObserver = Callable[[int, float], None]
"""``observer(stored, seconds)`` after each committed batch: how many messages it stored and
how long storing and committing it took (the server's metrics). Called on the writer's
lane: it must be quick (what it raises is logged, never given to the senders)."""


@dataclass(slots=True)
class _Pending:
    request: SendRequest
    future: asyncio.Future[SendResult]


class ChatWriter:
    """The server's message writer; ``submit`` from any task of the event loop it runs in."""

    def __init__(
        self,
        database: Database,
        *,
        lanes: int | None = None,
        max_batch: int = MAX_BATCH,
        observer: BatchObserver | None = None,
    ) -> None:
        self.database = database
        self.observer = observer
        if lanes is None:
            lanes = 1 if database.is_sqlite else POSTGRES_LANES
        if database.is_sqlite and lanes != 1:
            raise ValueError("SQLite has one writer: one lane")
        self.max_batch = max_batch
        self.stats = WriterStats(lanes=lanes)
        self._queues: list[asyncio.Queue[_Pending]] = [asyncio.Queue() for _ in range(lanes)]
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        # PostgreSQL: what the writer saw of conversations, for the route before a batch
        self.known: KnownStates | None = None if database.is_sqlite else KnownStates()

    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [
                # a context of their own: nothing of the first caller's (a held lock) leaks in
                asyncio.create_task(
                    self._lane(queue), name=f"chat-writer-{n}", context=contextvars.Context()
                )
                for n, queue in enumerate(self._queues)
            ]

    async def submit(self, request: SendRequest) -> SendResult:
        """Store ``request`` (in its conversation's order) and return once it is committed."""
        if self._closed:
            raise RuntimeError("the chat writer is closed")
        self._start()
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        # read the outcome even when nobody awaits it any more (no "never retrieved" noise)
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        lane = self._queues[request.message.conversation_id % len(self._queues)]
        lane.put_nowait(_Pending(request, future))
        # the caller may go away (a closed socket): the message is still written, and a
        # retry with the same client_msg_id finds it
        return await asyncio.shield(future)

    async def aclose(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        for queue in self._queues:
            await queue.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _lane(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._write(batch)
            except Exception as exc:  # never leave a sender waiting
                log.exception("chat writer failed")
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
            finally:
                for _ in batch:
                    queue.task_done()

    async def _write(self, batch: list[_Pending]) -> None:
        requests = [p.request for p in batch]
        results: list[SendResult | GuardObjected | None] = [None] * len(batch)
        started = time.perf_counter()
        try:  # the bot's turns and reopenings go one by one without trying the batch
            alone = await one_by_one_first(self.database, requests, self.known)
        except (sqlite3.Error, SQLAlchemyError) as exc:  # the batch finds them under its lock
            log.warning("chat writer's read before a batch failed (%s)", exc)
            alone = {}
        batched = [i for i, r in enumerate(requests) if r.message.conversation_id not in alone]
        self.stats.routed_alone += len(requests) - len(batched)
        for attempt in range(RETRIES + 1 if batched else 0):
            try:
                outcomes = await store_batch(self.database, [requests[i] for i in batched])
                for index, result in zip(batched, outcomes, strict=True):
                    results[index] = result
                break
            except DBAPIError as exc:  # deadlock, serialization failure, locked file
                log.warning("chat batch of %d failed (%s), attempt %d", len(batched), exc, attempt)
                await asyncio.sleep(0.01 * (attempt + 1))
        stored = sum(isinstance(r, SendResult) for r in results)
        if stored:
            self.stats.batches += 1
            self.stats.batched_messages += stored
            self.stats.largest_batch = max(self.stats.largest_batch, stored)
            if self.observer is not None:
                self._observe(stored, time.perf_counter() - started)
        for pending, result in zip(batch, results, strict=True):
            if result is None or pending.future.done():
                continue
            if isinstance(result, GuardObjected):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)
        by_conversation: dict[int, list[_Pending]] = {}
        for pending, result in zip(batch, results, strict=True):
            if result is None:
                self.stats.one_by_one += 1
                cid = pending.request.message.conversation_id
                by_conversation.setdefault(cid, []).append(pending)
        if len(by_conversation) < 2:
            for cid, sends in by_conversation.items():
                await self._in_order(sends, alone.get(cid))
        else:
            await asyncio.gather(
                *(self._in_order(sends, alone.get(cid)) for cid, sends in by_conversation.items())
            )

    async def _in_order(self, sends: list[_Pending], bot_line: str | None) -> None:
        """One conversation's sends, one after another (``_one`` never raises: each send's
        outcome goes to its sender)."""
        for pending in sends:
            await self._one(pending, bot_line)

    def _observe(self, stored: int, seconds: float) -> None:
        """Tell the observer; the batch is committed whatever it does."""
        assert self.observer is not None
        try:
            self.observer(stored, seconds)
        except Exception:
            log.exception("chat writer observer failed")

    async def _one(self, pending: _Pending, bot_line: str | None = None) -> None:
        """``pending`` in a transaction of its own; ``bot_line``: the line of the conversation
        as read before, if the bot has it there: the bot reads the message first, before the
        write lock, which is then held for the dialogue's turn only (on SQLite, where that
        lock orders every writer of every process, the reading was a third of its time)."""
        request = pending.request
        if bot_line is not None and request.read is None:
            request.read = first_read(request.ctx, request.message.text, bot_line)
        try:
            async with self.database.sessions() as session:
                result = await store_one(session, request)
        except Exception as exc:
            self._learn(request, None)
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        self._learn(request, result)
        if not pending.future.done():
            pending.future.set_result(result)

    def watched_channels(self) -> list[str]:
        """The channels whose live events keep the memory of states right: every line's
        (each change of a conversation is published to its line's queue); none on SQLite."""
        return [] if self.known is None else [line_channel(line.value) for line in Line]

    def observe(self, _channel: str, event: dict[str, Any]) -> None:
        """A live event of this process or, through Redis, of another's (``server.py``
        subscribes this to :meth:`watched_channels`): a conversation's new state (a handoff,
        an operator taking it, a resolution) is kept in mind, and a row kept of it forgotten;
        after a ``resync`` (events may have been missed) nothing is."""
        known = self.known
        if known is None:
            return
        kind = event.get("type")
        if kind == "resync":
            known.clear()
            return
        view = event.get("conversation")
        if kind == "conversation" and isinstance(view, dict):
            status, line = view.get("status"), view.get("line")
            if isinstance(status, str) and isinstance(line, str):
                known.changed(int(event["conversation_id"]), status, line)

    def _learn(self, request: SendRequest, result: SendResult | None) -> None:
        """Keep in mind the conversation's state after a customer's send went one by one
        (the bot's answer and the handoff bring it back); forget it when the outcome does
        not say (a plain send, a refusal): the next send reads it again."""
        if self.known is None or request.principal.is_operator:
            return
        cid = request.message.conversation_id
        after = result.known_conversation if result is not None else None
        if after is None:
            self.known.forget(cid)
        else:
            self.known.note(cid, after.status, after.line)
