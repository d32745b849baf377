"""The chat writer's memory of conversations' states (``known_states.KnownStates``): on
PostgreSQL it routes a customer's send to the bot's one-by-one path or to the batch without
asking the database again, reads once what it does not know, and a state gone stale changes
no outcome and is put right by it."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from marketdesk.domain.lines import Line
from marketdesk.services import chat
from marketdesk.services.chat import ChatWriter, follow_up
from marketdesk.services.chat import batch as batch_module
from marketdesk.services.chat.events import line_channel
from marketdesk.services.chat.known_states import KnownStates
from marketdesk.store.db import Database
from tests.chat.conftest import ChatEnv
from tests.chat.test_chat_writer import _assigned, _principal, _request


def test_the_most_recently_used_states_are_kept() -> None:
    known = KnownStates(size=2)
    known.note(1, "bot", "general")
    known.note(2, "queued", "general")
    assert known.get(1) == ("bot", "general")  # used: 2 is now the oldest
    known.note(3, "assigned", "travel")
    assert 2 not in known and known.get(1) == ("bot", "general") and 3 in known
    known.note(1, "queued", "general")  # a new state replaces the old
    assert known.get(1) == ("queued", "general") and len(known) == 2
    known.forget(1)
    known.forget(1)  # forgetting what is not known is nothing
    assert 1 not in known and len(known) == 1


def _row(cid: int, status: str, line: str = "general") -> dict[str, Any]:
    return {"id": cid, "status": status, "line": line, "last_seq": 2, "extra": {}}


def test_a_kept_row_is_taken_once_and_forgotten_when_the_state_moves() -> None:
    """The whole row of a conversation the bot has: taken once (the turn that uses it keeps
    the row it wrote), forgotten when a state that differs is noted or a live event says
    the conversation changed, and only the most recently kept ``rows`` of them."""
    known = KnownStates(rows=2)
    known.note_row(1, "100", _row(1, "bot"))
    assert known.get(1) == ("bot", "general")  # the state noted with it
    known.note(1, "bot", "general")  # the same state (a send's outcome): the row stays
    assert known.take_row(1) == ("100", _row(1, "bot"))
    assert known.take_row(1) is None  # used once
    known.note_row(1, "101", _row(1, "bot"))
    known.note(1, "queued", "general")  # a handoff's outcome
    assert known.take_row(1) is None and known.get(1) == ("queued", "general")
    known.note_row(2, "200", _row(2, "bot"))
    known.changed(2, "bot", "general")  # an event: the row changed, whatever the state
    assert known.take_row(2) is None and known.get(2) == ("bot", "general")
    for cid in (3, 4, 5):
        known.note_row(cid, str(cid), _row(cid, "bot"))
    assert known.take_row(3) is None  # the oldest of three, with room for two
    assert known.take_row(5) == ("5", _row(5, "bot"))
    known.note_row(6, "6", _row(6, "bot"))
    known.forget(6)
    known.note_row(7, "7", _row(7, "bot"))
    known.clear()
    assert known.take_row(6) is None and known.take_row(7) is None and len(known) == 0


def test_a_kept_row_is_used_for_a_while_only() -> None:
    """A row kept longer than ``row_seconds`` ago is not used (its state still is)."""
    now = [1000.0]
    known = KnownStates(row_seconds=600.0, clock=lambda: now[0])
    known.note_row(1, "100", _row(1, "bot"))
    known.note_row(2, "200", _row(2, "bot"))
    now[0] += 600.0
    assert known.take_row(1) == ("100", _row(1, "bot"))  # at the limit: still used
    now[0] += 0.5
    assert known.take_row(2) is None and known.get(2) == ("bot", "general")


def test_a_versioned_read_keeps_the_rows_of_conversations_the_bot_has() -> None:
    known = KnownStates()
    follow_up.remember(known, {**_row(1, "bot"), "row_version": 11})
    follow_up.remember(known, {**_row(2, "queued", "travel"), "row_version": 12})
    assert known.take_row(1) == ("11", _row(1, "bot"))
    assert known.get(2) == ("queued", "travel") and known.take_row(2) is None


def test_on_sqlite_the_writer_keeps_nothing_in_mind(fresh_env: ChatEnv) -> None:
    async def main() -> KnownStates | None:
        database = Database(fresh_env.db.url)
        try:
            return ChatWriter(database).known
        finally:
            await database.dispose()

    known = asyncio.run(main())
    assert (known is None) is (fresh_env.db.backend == "sqlite")


def test_on_postgresql_states_are_read_once_and_a_stale_one_changes_no_outcome(
    fresh_env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = fresh_env
    if env.db.backend == "sqlite":
        pytest.skip("SQLite reads the states from the file before every batch")
    env.operator(available=True, capacity=20)  # the handoff needs someone to assign
    bot_token = env.visitor()
    with_bot = int(env.conversation(bot_token)["id"])
    plain_token = env.visitor()
    plain = _assigned(env, plain_token)
    bot_who, plain_who = _principal(env, bot_token), _principal(env, plain_token)
    reads: list[list[int]] = []
    real_read = batch_module._read_states

    async def counted(database: Any, ids: list[int]) -> Any:
        reads.append(list(ids))
        return await real_read(database, ids)

    monkeypatch.setattr(batch_module, "_read_states", counted)

    async def main() -> tuple[list[Any], Any, list[tuple[str, str] | None]]:
        database = Database(env.db.url)
        writer = ChatWriter(database)
        ctx = chat.ChatContext(writer=writer, bot=env.client.app.state.bot)
        assert writer.known is not None
        known = writer.known
        seen: list[tuple[str, str] | None] = []
        try:
            first = await writer.submit(_request(ctx, bot_who, with_bot, "Как вернуть товар?"))
            seen.append(known.get(with_bot))
            second = await writer.submit(_request(ctx, plain_who, plain, "обычное"))
            seen.append(known.get(plain))
            # stale: another process would have taken this one from the bot long ago
            known.note(plain, "bot", "general")
            third = await writer.submit(_request(ctx, plain_who, plain, "ещё обычное"))
            seen.append(known.get(plain))
            fourth = await writer.submit(_request(ctx, plain_who, plain, "и ещё"))
            seen.append(known.get(plain))
            return [first, second, third, fourth], writer.stats, seen
        finally:
            await writer.aclose()
            await database.dispose()

    (first, second, third, fourth), stats, seen = asyncio.run(main())
    assert first.replies and first.replies[0].sender_kind == "bot"
    after_bot = first.conversation
    # the bot's answer told the writer the conversation's state after it
    assert seen[0] == (after_bot.status, after_bot.line)
    assert seen[1] == ("assigned", "general")  # read once, then kept
    assert seen[2] is None  # the stale state sent it one by one; the outcome made it forgotten
    assert seen[3] == ("assigned", "general")  # read again, and batched
    assert reads == [[with_bot], [plain], [plain]]
    for result, text in ((second, "обычное"), (third, "ещё обычное"), (fourth, "и ещё")):
        assert isinstance(result, chat.SendResult) and result.message.text == text
        assert not result.replies
    stored = [m["text"] for m in env.messages(plain_token, plain) if m["sender_kind"] == "visitor"]
    assert stored[-3:] == ["обычное", "ещё обычное", "и ещё"]
    assert stats.routed_alone == 2 and stats.batched_messages == 2


def test_a_failed_read_before_the_batch_leaves_the_routing_to_the_batch(
    fresh_env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read is a hint: when it fails (a locked file, a pool out of connections), the
    batch finds under its lock what moves, and every send gets the outcome it would have."""
    env = fresh_env
    env.operator(available=True, capacity=20)
    bot_token = env.visitor()
    with_bot = int(env.conversation(bot_token)["id"])
    plain_token = env.visitor()
    plain = _assigned(env, plain_token)
    bot_who, plain_who = _principal(env, bot_token), _principal(env, plain_token)

    def failing(*_args: Any, **_kw: Any) -> Any:
        raise (
            sqlite3.OperationalError("database is locked")
            if env.db.backend == "sqlite"
            else PoolTimeout("QueuePool limit reached")
        )

    if env.db.backend == "sqlite":
        monkeypatch.setattr(Database, "quick_reads", lambda _self: _Failing(failing))
    else:
        monkeypatch.setattr(batch_module, "_read_states", failing)

    async def main() -> tuple[list[Any], Any]:
        database = Database(env.db.url)
        writer = ChatWriter(database)
        ctx = chat.ChatContext(writer=writer, bot=env.client.app.state.bot)
        try:
            outcomes = await asyncio.gather(
                writer.submit(_request(ctx, bot_who, with_bot, "Как вернуть товар?")),
                writer.submit(_request(ctx, plain_who, plain, "обычное")),
            )
            return list(outcomes), writer.stats
        finally:
            await writer.aclose()
            await database.dispose()

    (asked, written), stats = asyncio.run(main())
    assert asked.replies and asked.replies[0].sender_kind == "bot"
    assert written.message.text == "обычное" and not written.replies
    assert stats.routed_alone == 0  # nothing routed by the failed read: the batch sorted them
    assert stats.one_by_one == 1 and stats.batched_messages == 1


class _Failing:
    """A connection whose every statement fails as ``fail`` does."""

    def __init__(self, fail: Any) -> None:
        self.execute = fail


def test_live_events_keep_the_memory_right(fresh_env: ChatEnv) -> None:
    """Every line's channel tells the writer of each conversation's new state (a handoff,
    an operator taking it; a row kept of it is forgotten); a ``resync`` (events may have
    been missed) empties its memory; on SQLite it listens to nothing."""

    async def main() -> tuple[list[str], KnownStates | None]:
        database = Database(fresh_env.db.url)
        try:
            writer = ChatWriter(database)
            channels = writer.watched_channels()
            known = writer.known
            queued = {"status": "queued", "line": "general", "id": 7}
            writer.observe("line:general", {"type": "conversation", "conversation_id": 7})
            writer.observe(
                "line:general",
                {"type": "conversation", "conversation_id": 7, "conversation": queued},
            )
            writer.observe("line:general", {"type": "message", "conversation_id": 8})
            if known is not None:
                assert known.get(7) == ("queued", "general") and 8 not in known
                known.note_row(9, "90", {"id": 9, "status": "bot", "line": "general"})
                writer.observe(
                    "line:general",
                    {
                        "type": "conversation",
                        "conversation_id": 9,
                        "conversation": {"status": "bot", "line": "general", "id": 9},
                    },
                )
                assert known.take_row(9) is None  # the row changed: not kept
                writer.observe("*", {"type": "resync"})
                assert len(known) == 0
            return channels, known
        finally:
            await database.dispose()

    channels, known = asyncio.run(main())
    if fresh_env.db.backend == "sqlite":
        assert channels == [] and known is None
    else:
        assert channels == [line_channel(line) for line in Line]
