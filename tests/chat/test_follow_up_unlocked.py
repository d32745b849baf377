"""A visitor's follow-up without the row's lock (``chat.follow_up.answer_unlocked``), on
PostgreSQL where no webhook wants the messages: the conversation read with its row version,
the bot's turn, then one statement alone that writes only if the row is still that version.
It writes what the general path writes, row for row and event for event, without ``BEGIN``;
a row written in between leaves nothing of it and the locked path answers; a handoff's
operators are read after the assignment's lock, so an operator made available by the lock's
holder takes the conversation."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from marketdesk.bot import Bot
from marketdesk.services import chat, visitors
from marketdesk.services.chat import ChatContext, follow_up
from marketdesk.services.chat.assignment import ASSIGN_LOCK_KEY
from marketdesk.services.chat.sending import OutgoingMessage
from marketdesk.services.chat.writer import ChatWriter
from marketdesk.services.webhooks import outbox
from marketdesk.store.db import Database
from marketdesk.store.models import Conversation, Message, Operator, OperatorPresence
from tests.chat.test_first_contact import _unsubscribe, begins_counted
from tests.chat.test_follow_up import (
    HELPER_LOGIN,
    QUESTION,
    TTL,
    _answer,
    _events,
    _follow_up,
    _helper_operator,
    _opened,
    _written,
)

_UNLOCKED = "conversations.xmin::text ="
_LOCK = "last_seq=(conversations.last_seq +"


@pytest.fixture
def postgresql_only(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """PostgreSQL, no webhook subscription, and the subscriptions kept through the test."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's row versions and round trips (SQLite has one writer)")
    asyncio.run(_unsubscribe(database_url))
    monkeypatch.setattr(outbox._active, "seconds", 60.0)
    return database_url


def test_on_sqlite_the_script_takes_the_lock(database_url: str, bot: Bot) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("SQLite's way")
    run = asyncio.run(_follow_up(database_url, bot, QUESTION, "как вернуть товар", writer=True))
    assert not any(_UNLOCKED in s for s in run.statements)
    assert any(_LOCK in s for s in run.statements)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Уточнение номер 7", "queued"),  # a handoff, nobody free (bench's message)
        ("как вернуть товар", "bot"),  # answered, the topic changes
        ("сертификат", "bot"),  # a question back: the dialogue's state kept
    ],
)
def test_without_the_lock_it_writes_what_the_general_path_writes(
    postgresql_only: str,
    bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    status: str,
) -> None:
    url = postgresql_only
    begun = begins_counted(monkeypatch)
    with pytest.MonkeyPatch.context() as general:
        slow = asyncio.run(
            _follow_up(url, bot, QUESTION, text, writer=True, general=True, monkeypatch=general)
        )
    begun_slow = len(begun)
    begun.clear()
    fast = asyncio.run(_follow_up(url, bot, QUESTION, text, writer=True))
    # the same opening and engine; the follow-up's transaction is not there
    assert len(begun) == begun_slow - 1, (begun_slow, begun)
    unlocked = [s for s in fast.statements if _UNLOCKED in s]
    assert len(unlocked) == 1 and unlocked[0].startswith("WITH")
    assert not any(_LOCK in s for s in fast.statements)
    assert (" marketdesk_assignment_candidates(" in unlocked[0]) == (status == "queued")
    assert fast.sent is not None and fast.sent.conversation is not None
    assert fast.sent.conversation.status == status
    assert asyncio.run(_written(url, fast)) == asyncio.run(_written(url, slow))
    assert _answer(fast) == _answer(slow)
    assert fast.events and _events(fast) == _events(slow)


async def _send_through_writer(
    url: str, bot: Bot, text_: str, *, before_write: Any = None
) -> tuple[Any, int, list[str]]:
    """A new visitor's conversation, then ``text_`` into it through the writer (the bot's
    reading made before, as the server sends it); ``before_write(cid)``: awaited once,
    after the bot's turn and before the statement. → (the result, the conversation, the
    follow-up's statements)."""
    database = Database(url)
    writer = ChatWriter(database)
    ctx = ChatContext(bot=bot, database=database, writer=writer)
    statements: list[str] = []

    def record(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(" ".join(sql.split()))

    try:
        made, cid = await _opened(database, ctx)
        writer.known.note(cid, "bot", "general")  # type: ignore[union-attr]
        take_turn = follow_up._take_turn
        calls = 0

        async def turn_then(*args: Any) -> Any:
            nonlocal calls
            taken = await take_turn(*args)
            calls += 1
            if calls == 1 and before_write is not None:
                await before_write(cid)
            return taken

        follow_up._take_turn = turn_then  # type: ignore[assignment]
        event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            message = OutgoingMessage(cid, uuid.uuid4().hex, text_)
            sent = await chat.send(ctx, made.principal, message)
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", record)
            follow_up._take_turn = take_turn  # type: ignore[assignment]
    finally:
        await writer.aclose()
        await database.dispose()
    return sent, cid, statements


async def _transcript(url: str, cid: int) -> tuple[int, list[tuple[int, str]]]:
    database = Database(url)
    try:
        async with database.sessions() as session:
            conversation = await session.get(Conversation, cid)
            assert conversation is not None
            rows = (
                await session.execute(
                    select(Message.seq, Message.sender_kind)
                    .where(Message.conversation_id == cid)
                    .order_by(Message.seq)
                )
            ).all()
    finally:
        await database.dispose()
    return conversation.last_seq, [(int(s), str(k)) for s, k in rows]


def test_a_row_written_in_between_leaves_nothing_and_the_lock_answers(
    postgresql_only: str, bot: Bot
) -> None:
    """Another writer touches the conversation's row between the read and the statement
    (here: its ``updated_at``): the statement writes nothing, and the locked path stores
    the message and its answer once, numbered after what is there."""
    url = postgresql_only
    sent, cid, statements = asyncio.run(
        _send_through_writer(url, bot, "как вернуть товар", before_write=partial(_touch, url))
    )
    tried = [i for i, s in enumerate(statements) if _UNLOCKED in s]
    locked = [i for i, s in enumerate(statements) if _LOCK in s]
    assert len(tried) == 1 and len(locked) == 1 and tried[0] < locked[0]
    assert (sent.message.seq, [r.seq for r in sent.replies]) == (3, [4])
    last_seq, rows = asyncio.run(_transcript(url, cid))
    assert last_seq == 4
    assert rows == [(1, "visitor"), (2, "bot"), (3, "visitor"), (4, "bot")]


def test_a_retry_of_a_stored_message_is_answered_with_it(postgresql_only: str, bot: Bot) -> None:
    """The same ``client_msg_id`` again: the statement's insert finds the key taken, writes
    nothing, and the locked path answers with the stored message."""
    url = postgresql_only

    async def main() -> tuple[Any, Any, int]:
        database = Database(url)
        writer = ChatWriter(database)
        ctx = ChatContext(bot=bot, database=database, writer=writer)
        try:
            made, cid = await _opened(database, ctx)
            message = OutgoingMessage(cid, "again", "как вернуть товар")
            first = await chat.send(ctx, made.principal, message)
            writer.known.note(cid, "bot", "general")  # type: ignore[union-attr]
            second = await chat.send(ctx, made.principal, message)
        finally:
            await writer.aclose()
            await database.dispose()
        return first, second, cid

    first, second, cid = asyncio.run(main())
    assert not first.duplicate and second.duplicate
    assert second.message.id == first.message.id
    last_seq, rows = asyncio.run(_transcript(url, cid))
    assert last_seq == 4 and len(rows) == 4


def test_a_handoffs_operators_are_read_after_the_assignment_lock(
    postgresql_only: str, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock's holder makes an operator available and commits while the handoff waits
        for the lock inside its statement: the operators' read comes after the lock (a fresh
        snapshot), sees them free, and the dispatch (a transaction of its own, after the
    statement's commit) gives them the conversation. (Read in the
        statement's own snapshot, they would be busy, and the conversation left queued.)"""
    url = postgresql_only
    asyncio.run(_helper_operator(url, False))
    dispatch = follow_up.dispatch_queue
    in_transaction: list[bool] = []

    async def dispatch_watched(session: Any, *args: Any, **kwargs: Any) -> Any:
        assigned = await dispatch(session, *args, **kwargs)
        raw = await (await session.connection()).get_raw_connection()
        in_transaction.append(raw.driver_connection.is_in_transaction())
        return assigned

    monkeypatch.setattr(follow_up, "dispatch_queue", dispatch_watched)

    async def main() -> tuple[Any, int]:
        holder = Database(url)
        try:
            async with holder.sessions() as session:
                helper = await session.scalar(
                    select(Operator.id).where(Operator.login == HELPER_LOGIN)
                )
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": ASSIGN_LOCK_KEY}
                )
                await session.execute(
                    update(OperatorPresence)
                    .where(OperatorPresence.operator_id == helper)
                    .values(available=True)
                )
                sending = asyncio.create_task(_send_through_writer(url, bot, "позовите оператора"))
                for _ in range(500):  # until the handoff waits for the lock
                    waiting = await _waits_for_the_lock(url)
                    if waiting or sending.done():
                        break
                    await asyncio.sleep(0.02)
                assert waiting and not sending.done()
                await session.commit()
            sent, _cid, _statements = await sending
            assert helper is not None
            return sent, int(helper)
        finally:
            await holder.dispose()

    try:
        sent, helper = asyncio.run(main())
    finally:
        asyncio.run(_helper_operator(url, False))
    assert sent.conversation is not None
    assert sent.conversation.status == "assigned"
    assert sent.conversation.assigned_operator_id == helper
    assert in_transaction == [True]  # the dispatch in a transaction of its own, lock held


async def _waits_for_the_lock(url: str) -> bool:
    """Whether a session of the database waits for an advisory lock now."""
    probe = Database(url)
    try:
        async with probe.sessions() as session:
            found = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
    finally:
        await probe.dispose()
    return bool(found)


def test_a_failed_dispatch_after_the_handoff_keeps_the_message(
    postgresql_only: str, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement has committed when the dispatch runs: a dispatch that fails leaves the
    message, its answer and the queued conversation as written, and the sender is answered
    (the next dispatch gives it to an operator)."""
    url = postgresql_only
    asyncio.run(_helper_operator(url, True))
    tried: list[str] = []

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        tried.append("dispatch")
        raise OperationalError("SELECT 1", {}, Exception("the server went away"))

    monkeypatch.setattr(follow_up, "dispatch_queue", broken)
    try:
        sent, cid, _statements = asyncio.run(_send_through_writer(url, bot, "позовите оператора"))
    finally:
        asyncio.run(_helper_operator(url, False))
    assert tried == ["dispatch"]  # an operator had room
    assert sent.conversation is not None and sent.conversation.status == "queued"
    last_seq, rows = asyncio.run(_transcript(url, cid))
    assert last_seq == 4 and [k for _, k in rows] == ["visitor", "bot", "visitor", "bot"]


async def _touch(url: str, cid: int) -> None:
    """Another writer writes the conversation's row (its ``updated_at`` as it is): a new
    row version, nothing else changed."""
    other = Database(url)
    try:
        async with other.sessions() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == cid)
                .values(updated_at=Conversation.updated_at)
            )
            await session.commit()
    finally:
        await other.dispose()


async def _first_contact_then(
    url: str, bot: Bot, texts: list[str], *, touch_first: bool = False
) -> tuple[list[Any], int, list[list[str]], ChatWriter]:
    """A new visitor's first question in one request (``chat.first_contact``, as the
    widget opens a chat), then ``texts`` one after another through the writer;
    ``touch_first``: the row written by another writer before the first of them. → (the
    results, the conversation, each send's statements, the writer)."""
    database = Database(url)
    writer = ChatWriter(database)
    ctx = ChatContext(bot=bot, database=database, writer=writer)
    statements: list[list[str]] = []

    def record(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements[-1].append(" ".join(sql.split()))

    results = []
    try:
        opening = visitors.Opening(line="general", client_msg_id="first", text=QUESTION)
        async with database.sessions() as session:
            made = await visitors.new_visitor(
                session, ctx, ttl=TTL, principal=visitors.new_visitor_principal(), opening=opening
            )
        assert made.conversation is not None
        cid = made.conversation.id
        if touch_first:
            await _touch(url, cid)
        event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            for text_ in texts:
                statements.append([])
                message = OutgoingMessage(cid, uuid.uuid4().hex, text_)
                results.append(await chat.send(ctx, made.principal, message))
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    finally:
        await writer.aclose()
        await database.dispose()
    return results, cid, statements, writer


def _reads_conversations(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and "FROM conversations" in s]


def test_the_bots_next_turn_in_a_row_the_process_keeps_reads_nothing(
    postgresql_only: str, bot: Bot
) -> None:
    """The first question's statement and each of the bot's answers without the lock leave
    the conversation's row, with its version, in the writer's memory: the visitor's next
    message is one statement, no read of the conversation before it (the row is the
    version the turn was taken on, or nothing is written). After a handoff (the bot no
    longer has the conversation) no row is kept."""
    url = postgresql_only
    texts = ["как вернуть товар", "сертификат", "Уточнение номер 7"]
    results, cid, statements, writer = asyncio.run(_first_contact_then(url, bot, texts))
    for sent, sent_statements in zip(results, statements, strict=True):
        assert sent.replies and not sent.duplicate
        assert _reads_conversations(sent_statements) == [], sent_statements
        assert len(sent_statements) == 1 and _UNLOCKED in sent_statements[0]
    assert results[-1].conversation.status == "queued"
    assert writer.known is not None and writer.known.take_row(cid) is None
    last_seq, rows = asyncio.run(_transcript(url, cid))
    assert last_seq == 8
    assert rows == [(n, "visitor" if n % 2 else "bot") for n in range(1, 9)]
    assert [r.message.seq for r in results] == [3, 5, 7]


def test_a_kept_row_written_since_is_read_again(postgresql_only: str, bot: Bot) -> None:
    """Another writer wrote the kept row (a new version): the statement on the kept row
    writes nothing, the row is read as it stands and the turn taken on it goes through
    without the lock, numbered after what is there."""
    url = postgresql_only
    results, cid, statements, _writer = asyncio.run(
        _first_contact_then(url, bot, ["как вернуть товар"], touch_first=True)
    )
    sent, sent_statements = results[0], statements[0]
    tried = [i for i, s in enumerate(sent_statements) if _UNLOCKED in s]
    read = [i for i, s in enumerate(sent_statements) if s in _reads_conversations(sent_statements)]
    assert len(tried) == 2 and len(read) == 1 and tried[0] < read[0] < tried[1]
    assert not any(_LOCK in s for s in sent_statements)
    assert (sent.message.seq, [r.seq for r in sent.replies]) == (3, [4])
    last_seq, rows = asyncio.run(_transcript(url, cid))
    assert last_seq == 4
    assert rows == [(1, "visitor"), (2, "bot"), (3, "visitor"), (4, "bot")]
