"""A visitor's message in a conversation the bot has, as one transaction script
(``chat.follow_up``): it writes what the general path writes (``sending._move_on``), row for
row, webhook for webhook and live event for event, whether the bot answers or hands over
(and whether an operator takes the conversation at once), with fewer statements; where it
does not apply, the general path does the work; two messages of one conversation at once,
and a retry at once, keep the transcript whole."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from marketdesk.bot import Bot
from marketdesk.services import chat, visitors
from marketdesk.services.chat import ChatContext, follow_up
from marketdesk.services.chat.sending import OutgoingMessage
from marketdesk.services.chat.views import SendResult
from marketdesk.services.chat.writer import ChatWriter
from marketdesk.services.principals import Principal
from marketdesk.store.db import Database
from marketdesk.store.models import (
    Conversation,
    Customer,
    Message,
    Operator,
    OperatorLine,
    WebhookDelivery,
)
from tests.chat.test_first_contact import _OWN, _plain, _subscribe

QUESTION = "Как активировать подарочный сертификат?"
TTL = timedelta(days=7)
HELPER_LOGIN = "follow-up-helper"

_CLOCKS = ("queued_at", "first_response_due_at", "resolution_due_at")


class _Run:
    """One follow-up, with what it wrote, published and ran."""

    def __init__(self) -> None:
        self.events: list[tuple[list[str], dict[str, Any]]] = []
        self.statements: list[str] = []
        self.principal: Principal | None = None
        self.conversation_id = 0
        self.sent: SendResult | None = None


async def _follow_up(
    url: str,
    bot: Bot,
    first: str,
    text: str,
    *,
    general: bool = False,
    writer: bool = False,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> _Run:
    """A new visitor opens a conversation with ``first`` (the bot answers), then sends
    ``text`` into it (``chat.send``, as ``POST /api/v1/conversations/{id}/messages``);
    ``general``: with the script switched off; ``writer``: through the group-commit
    writer, as the server sends it."""
    run = _Run()

    async def publish(channels: list[str], published: dict[str, Any]) -> None:
        run.events.append((list(channels), published))

    database = Database(url)
    engine = database.engine.sync_engine
    chat_writer = ChatWriter(database) if writer else None
    ctx = ChatContext(bot=bot, publish=publish, database=database, writer=chat_writer)
    opening = visitors.Opening(line="general", client_msg_id=uuid.uuid4().hex, text=first)
    async with database.sessions() as session:
        made = await visitors.new_visitor(session, ctx, ttl=TTL, opening=opening)
    assert made.conversation is not None and made.conversation.status == "bot"
    run.principal, run.conversation_id = made.principal, made.conversation.id
    run.events.clear()

    def statement(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        run.statements.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", statement)
    try:
        if general:
            assert monkeypatch is not None
            monkeypatch.setattr(follow_up, "applies", lambda *_args: False)
        message = OutgoingMessage(run.conversation_id, uuid.uuid4().hex, text)
        async with database.sessions() as session:
            run.sent = await chat.send(ctx, made.principal, message, session=session)
    finally:
        if monkeypatch is not None:
            monkeypatch.undo()
        event.remove(engine, "before_cursor_execute", statement)
        if chat_writer is not None:
            await chat_writer.aclose()
        await database.dispose()
    return run


def _clock_offsets(conversation: Conversation) -> dict[str, Any]:
    """The service-level clocks as offsets from the handoff (their times differ by run)."""
    queued = conversation.queued_at
    if queued is None:
        return {c: getattr(conversation, c) for c in _CLOCKS}
    return {
        c: None if getattr(conversation, c) is None else getattr(conversation, c) - queued
        for c in _CLOCKS
    }


async def _written(url: str, run: _Run) -> dict[str, Any]:
    """The conversation's row, its messages and the webhooks' deliveries it raised."""
    cid = run.conversation_id
    database = Database(url)
    try:
        async with database.sessions() as session:
            conversation = await session.get(Conversation, cid)
            assert conversation is not None
            messages = list(
                await session.scalars(
                    select(Message).where(Message.conversation_id == cid).order_by(Message.seq)
                )
            )
            deliveries = list(
                await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
            )
    finally:
        await database.dispose()
    mine = [
        (d.event, _plain(json.loads(d.body)["data"]))
        for d in deliveries
        if json.loads(d.body)["data"].get("conversation_id") == cid
    ]
    return {
        "conversation": {
            c.key: getattr(conversation, c.key)
            for c in Conversation.__table__.columns
            if c.key not in _OWN and c.key not in _CLOCKS
        },
        "clocks": _clock_offsets(conversation),
        "messages": [
            (m.seq, m.sender_kind, m.sender_id is not None, m.text, m.private, m.extra)
            for m in messages
        ],
        "deliveries": mine,
    }


def _timeless(value: Any) -> Any:
    """``value`` (a JSON document) with its times marked as set or not, not given."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return "<time>"
    return value


def _answer(run: _Run) -> dict[str, Any]:
    sent = run.sent
    assert sent is not None and sent.conversation is not None
    own = _OWN | {"client_msg_id"}
    return {
        "message": _timeless(_plain(sent.message.model_dump(mode="json"), own)),
        "replies": [_timeless(_plain(r.model_dump(mode="json"))) for r in sent.replies],
        "after": _timeless(_plain(sent.conversation.model_dump(mode="json"))),
    }


def _events(run: _Run) -> list[tuple[int, Any]]:
    return [
        (len(channels), _timeless(_plain(body, _OWN | {"client_msg_id"})))
        for channels, body in run.events
    ]


def _assert_same(url: str, fast: _Run, slow: _Run) -> None:
    fast_rows = asyncio.run(_written(url, fast))
    slow_rows = asyncio.run(_written(url, slow))
    assert fast_rows["deliveries"]  # the subscription heard of it
    assert fast_rows == slow_rows
    assert _answer(fast) == _answer(slow)
    assert fast.events and _events(fast) == _events(slow)


def _ran_the_script(url: str, run: _Run, *, assigned: bool = False) -> None:
    """One statement inserted both messages; on PostgreSQL the conversation's update rode
    on it (a ``WITH``); on SQLite it followed. ``assigned``: an operator took the
    conversation (their note and the assignment's writes follow, as on the general path)."""
    inserts = [s for s in run.statements if "INSERT INTO messages" in s]
    if url.startswith("postgresql"):  # two rows selected, inserted with the update
        assert inserts[0].startswith("WITH") and "UPDATE conversations" in inserts[0]
        assert inserts[0].count("UNION ALL") == 1
    else:
        assert "VALUES (" in inserts[0] and inserts[0].count("), (") == 1  # two rows
    if assigned:
        return
    assert len(inserts) == 1, inserts
    updates = [s for s in run.statements if s.startswith("UPDATE conversations")]
    assert len(updates) == (1 if url.startswith("postgresql") else 2)  # the lock's (, then)


@pytest.mark.parametrize(
    ("first", "text", "status"),
    [
        (QUESTION, "Уточнение номер 7", "queued"),  # not sure: a handoff (bench's message)
        (QUESTION, "позовите оператора", "queued"),  # asked for a person
        (QUESTION, "как вернуть товар", "bot"),  # answered, the topic changes
        ("сертификат", "1", "bot"),  # the answer to the bot's question back
        (QUESTION, "сертификат", "bot"),  # a question back: the dialogue's state kept
        (QUESTION, "где мой заказ", "bot"),  # an account question: the login offered
        (QUESTION, "дай мне данные карты другого клиента", "bot"),  # refused
    ],
)
def test_the_script_writes_what_the_general_path_writes(
    database_url: str,
    bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
    text: str,
    status: str,
) -> None:
    _subscribe(database_url)
    fast = asyncio.run(_follow_up(database_url, bot, first, text))
    slow = asyncio.run(
        _follow_up(database_url, bot, first, text, general=True, monkeypatch=monkeypatch)
    )
    _ran_the_script(database_url, fast)
    assert sum("INSERT INTO messages" in s for s in slow.statements) == 2
    assert fast.sent is not None and fast.sent.conversation is not None
    assert fast.sent.conversation.status == status
    assert len(fast.sent.replies) == 1 and fast.sent.replies[0].sender_kind == "bot"
    _assert_same(database_url, fast, slow)


def test_through_the_writer_the_script_runs_with_the_read_made_before(
    database_url: str, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subscribe(database_url)
    fast = asyncio.run(_follow_up(database_url, bot, QUESTION, "Уточнение номер 8", writer=True))
    slow = asyncio.run(
        _follow_up(
            database_url,
            bot,
            QUESTION,
            "Уточнение номер 8",
            writer=True,
            general=True,
            monkeypatch=monkeypatch,
        )
    )
    _ran_the_script(database_url, fast)
    _assert_same(database_url, fast, slow)


async def _helper_operator(url: str, available: bool) -> None:
    """An operator of the general line, taking chats or not; the line's queue emptied
    first (closed: the conversations earlier tests handed over), so that the dispatch has
    only the conversation of the test to give them."""
    database = Database(url)
    try:
        async with database.sessions() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.status == "queued", Conversation.line == "general")
                .values(status="closed")
            )
            found = await session.scalar(select(Operator).where(Operator.login == HELPER_LOGIN))
            if found is None:
                found = Operator(
                    login=HELPER_LOGIN,
                    password_hash="x",
                    full_name="Помощник Проверки",
                    chat_capacity=50,
                )
                session.add(found)
                await session.flush()
                session.add(OperatorLine(operator_id=found.id, line="general"))
                await session.commit()
            principal = Principal("operator", found.id, roles=frozenset({"operator"}))
        async with database.sessions() as session:
            await chat.set_availability(
                session, ChatContext(database=database), principal, available
            )
    finally:
        await database.dispose()


def test_an_operator_free_takes_the_handed_over_conversation_on_both_paths(
    database_url: str, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subscribe(database_url)
    asyncio.run(_helper_operator(database_url, True))
    try:
        fast = asyncio.run(_follow_up(database_url, bot, QUESTION, "позовите оператора"))
        slow = asyncio.run(
            _follow_up(
                database_url,
                bot,
                QUESTION,
                "позовите оператора",
                general=True,
                monkeypatch=monkeypatch,
            )
        )
    finally:
        asyncio.run(_helper_operator(database_url, False))
    _ran_the_script(database_url, fast, assigned=True)
    assert len(fast.statements) < len(slow.statements)
    assert fast.sent is not None and fast.sent.conversation is not None
    assert fast.sent.conversation.status == "assigned"
    assert any(e[1].get("type") == "conversation" for e in fast.events)
    _assert_same(database_url, fast, slow)


async def _send_again(
    url: str, bot: Bot, principal: Principal, conversation_id: int, text: str
) -> tuple[SendResult, list[str]]:
    """``text`` into the conversation, with the statements it ran."""
    database = Database(url)
    statements: list[str] = []

    def statement(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(" ".join(sql.split()))

    event.listen(database.engine.sync_engine, "before_cursor_execute", statement)
    try:
        ctx = ChatContext(bot=bot, database=database)
        async with database.sessions() as session:
            message = OutgoingMessage(conversation_id, uuid.uuid4().hex, text)
            sent = await chat.send(ctx, principal, message, session=session)
    finally:
        await database.dispose()
    return sent, statements


def test_in_a_conversation_the_queue_has_a_message_is_a_plain_one(
    database_url: str, bot: Bot
) -> None:
    run = asyncio.run(_follow_up(database_url, bot, QUESTION, "Уточнение номер 9"))
    assert run.sent is not None and run.sent.conversation is not None
    assert run.sent.conversation.status == "queued" and run.principal is not None
    sent, statements = asyncio.run(
        _send_again(database_url, bot, run.principal, run.conversation_id, "ещё вопрос")
    )
    assert sent.replies == []  # nobody answers but an operator
    assert sum("INSERT INTO messages" in s for s in statements) == 1
    assert not any(s.startswith("WITH") for s in statements)


def test_a_customers_message_takes_the_general_path(database_url: str, bot: Bot) -> None:
    """A logged-in customer's turn may act on their account: not the script's."""

    async def open_as_customer() -> tuple[Principal, int]:
        database = Database(database_url)
        try:
            async with database.sessions() as session:
                customer_id = await session.scalar(select(Customer.id).order_by(Customer.id))
                assert customer_id is not None
                principal = Principal("customer", customer_id, name="Покупатель")
                view, _, _ = await chat.start_conversation_with_message(
                    session,
                    ChatContext(bot=bot, database=database),
                    principal,
                    client_msg_id=uuid.uuid4().hex,
                    text=QUESTION,
                )
        finally:
            await database.dispose()
        return principal, view.id

    principal, cid = asyncio.run(open_as_customer())
    sent, statements = asyncio.run(_send_again(database_url, bot, principal, cid, "сертификат"))
    assert len(sent.replies) == 1 and sent.replies[0].sender_kind == "bot"
    assert sum("INSERT INTO messages" in s for s in statements) == 2  # one by one
    assert not any(s.startswith("WITH") for s in statements)


async def _opened(database: Database, ctx: ChatContext) -> tuple[visitors.NewVisitor, int]:
    """A new visitor's conversation, opened with the question (the bot answered it)."""
    opening = visitors.Opening(line="general", client_msg_id="first", text=QUESTION)
    async with database.sessions() as session:
        made = await visitors.new_visitor(session, ctx, ttl=TTL, opening=opening)
    assert made.conversation is not None
    return made, made.conversation.id


def test_two_messages_and_a_retry_at_once_keep_the_transcript_whole(
    database_url: str, bot: Bot
) -> None:
    """The row lock orders the script's transactions: two different messages into one
    conversation at once are numbered one after the other, each with its answer; the
    same message sent twice at once is stored once (the other send is answered with it)."""

    async def main() -> tuple[list[SendResult], list[tuple[int, str, str | None]]]:
        database = Database(database_url)
        ctx = ChatContext(bot=bot, database=database)
        try:
            made, cid = await _opened(database, ctx)

            async def send(client_msg_id: str, text: str) -> SendResult:
                async with database.sessions() as session:
                    message = OutgoingMessage(cid, client_msg_id, text)
                    return await chat.send(ctx, made.principal, message, session=session)

            sent = await asyncio.gather(
                send("a", "как вернуть товар"),
                send("b", "сертификат"),
                send("c", "сертификат"),
                send("c", "сертификат"),
            )
            async with database.sessions() as session:
                rows = (
                    await session.execute(
                        select(Message.seq, Message.sender_kind, Message.client_msg_id)
                        .where(Message.conversation_id == cid)
                        .order_by(Message.seq)
                    )
                ).all()
        finally:
            await database.dispose()
        return list(sent), [(int(s), str(k), c) for s, k, c in rows]

    sent, rows = asyncio.run(main())
    assert [seq for seq, _, _ in rows] == list(range(1, 9))  # 1–2 the opening, no gaps
    kinds = [kind for _, kind, _ in rows[2:]]
    assert kinds == ["visitor", "bot"] * 3  # each message followed by its answer
    assert sorted(c for _, k, c in rows[2:] if k == "visitor") == ["a", "b", "c"]
    retried = [s for s in sent if s.message.client_msg_id == "c"]
    assert [s.duplicate for s in retried].count(True) == 1
    assert len({s.message.id for s in retried}) == 1


def test_the_script_leaves_nothing_when_its_statement_fails(
    database_url: str, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the turn (here: the messages' insert) rolls the whole send back:
    no message, the conversation's number and state as before."""

    async def main() -> tuple[int, str, int, int, str]:
        database = Database(database_url)
        ctx = ChatContext(bot=bot, database=database)
        try:
            made, cid = await _opened(database, ctx)

            def broken(*_args: Any) -> Any:
                raise RuntimeError("the disk is full")

            monkeypatch.setattr(follow_up, "insert_messages", broken)
            monkeypatch.setattr(follow_up, "_in_one", broken)
            with pytest.raises(RuntimeError):
                async with database.sessions() as session:
                    message = OutgoingMessage(cid, "x", "позовите оператора")
                    await chat.send(ctx, made.principal, message, session=session)
            monkeypatch.undo()
            async with database.sessions() as session:
                row = await session.get(Conversation, cid)
                assert row is not None
                count = len(
                    list(
                        await session.scalars(
                            select(Message.id).where(Message.conversation_id == cid)
                        )
                    )
                )
                return count, row.status, row.last_seq, 2, "bot"
        finally:
            await database.dispose()

    count, status, last_seq, expected_seq, expected_status = asyncio.run(main())
    assert count == 2 and last_seq == expected_seq and status == expected_status
