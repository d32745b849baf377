"""A new visitor's first question as one transaction script (``chat.first_contact``): it
writes what the general path writes (``lifecycle.open_first_conversation``), row for row,
webhook for webhook and live event for event, with fewer statements; and where it does not
apply (the bot hands over, the seller line, no bot) the general path does the work."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from marketdesk.bot import Bot
from marketdesk.domain.webhooks import WebhookEvent, encode_secret
from marketdesk.services import chat, visitors
from marketdesk.services.chat import ChatContext, lifecycle
from marketdesk.services.errors import ServiceError
from marketdesk.services.webhooks import outbox
from marketdesk.store.db import Database
from marketdesk.store.models import (
    Conversation,
    Message,
    Session,
    Visitor,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)

QUESTION = "Как активировать подарочный сертификат?"
TTL = timedelta(days=7)

# the values that differ between any two conversations (ids, times, who)
_OWN = {"id", "visitor_id", "created_at", "updated_at", "conversation_id", "message_id"}


class _Run:
    """One opening through ``visitors.new_visitor`` (the API's use case), with what it
    wrote, published and ran."""

    def __init__(self) -> None:
        self.events: list[tuple[list[str], dict[str, Any]]] = []
        self.statements: list[str] = []
        self.made: visitors.NewVisitor | None = None


async def _open(
    url: str,
    bot: Bot | None,
    text: str,
    *,
    line: str = "general",
    known: bool = False,
    general: bool = False,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> _Run:
    """A new visitor's first question (``visitors.new_visitor``, as ``POST
    /api/v1/visitors`` with ``conversation``) or, ``known``, a visitor's who has a token
    (``chat.start_conversation_with_message``, as ``POST /api/v1/conversations``);
    ``general``: with the script switched off."""
    run = _Run()

    async def publish(channels: list[str], published: dict[str, Any]) -> None:
        run.events.append((list(channels), published))

    database = Database(url)
    engine = database.engine.sync_engine
    ctx = ChatContext(bot=bot, publish=publish, database=database)
    principal = visitors.new_visitor_principal()
    if known:  # the visitor first, as ``POST /api/v1/visitors`` makes one
        async with database.sessions() as session:
            made = await visitors.new_visitor(session, ctx, ttl=TTL, principal=principal)
        principal = made.principal

    def statement(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        run.statements.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", statement)
    try:
        if general:
            assert monkeypatch is not None

            async def not_here(*_args: Any, **_kwargs: Any) -> None:
                return None

            monkeypatch.setattr(visitors, "open_first_contact", not_here)
            monkeypatch.setattr(lifecycle, "open_with_question", not_here)
        client_msg_id = uuid.uuid4().hex
        async with database.sessions() as session:
            if known:
                view, created, sent = await chat.start_conversation_with_message(
                    session, ctx, principal, client_msg_id=client_msg_id, text=text, line=line
                )
                assert created
                run.made = visitors.NewVisitor(principal, "", view, sent)
            else:
                opening = visitors.Opening(line=line, client_msg_id=client_msg_id, text=text)
                run.made = await visitors.new_visitor(
                    session, ctx, ttl=TTL, principal=principal, opening=opening
                )
    finally:
        if monkeypatch is not None:
            monkeypatch.undo()
        event.remove(engine, "before_cursor_execute", statement)
        await database.dispose()
    return run


def _plain(value: Any, own: frozenset[str] | set[str] = _OWN) -> Any:
    """``value`` without what differs between two openings (ids, times, the visitor)."""
    if isinstance(value, dict):
        return {k: _plain(v, own) for k, v in value.items() if k not in own}
    if isinstance(value, list):
        return [_plain(v, own) for v in value]
    return value


async def _written(url: str, made: visitors.NewVisitor) -> dict[str, Any]:
    """The rows of the visitor's conversation: its own, its messages, its session, the
    webhooks' deliveries it raised."""
    assert made.conversation is not None
    cid = made.conversation.id
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
            sessions = list(
                await session.scalars(
                    select(Session).where(Session.visitor_id == str(made.principal.id))
                )
            )
            visitor = await session.get(Visitor, str(made.principal.id))
            deliveries = list(
                await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
            )
    finally:
        await database.dispose()
    assert visitor is not None
    [kept] = sessions
    bodies = [(d.event, json.loads(d.body)) for d in deliveries]
    mine = [
        (kind, body["type"], _plain(body["data"]))
        for kind, body in bodies
        if body["data"].get("conversation_id") == cid
    ]
    return {
        "conversation": {
            c.key: getattr(conversation, c.key)
            for c in Conversation.__table__.columns
            if c.key not in _OWN
        },
        "messages": [
            (
                m.seq,
                m.sender_kind,
                m.sender_id == str(made.principal.id) if m.sender_id else None,
                m.client_msg_id is not None,
                m.text,
                m.private,
                m.extra,
            )
            for m in messages
        ],
        "session": (
            kept.subject_kind,
            kept.device,
            kept.revoked_at,
            kept.expires_at - kept.created_at,
        ),
        "deliveries": mine,
    }


def _answer(made: visitors.NewVisitor) -> dict[str, Any]:
    assert made.conversation is not None and made.sent is not None
    return {
        "conversation": _plain(made.conversation.model_dump(mode="json")),
        "message": _plain(made.sent.message.model_dump(mode="json"), _OWN | {"client_msg_id"}),
        "replies": [_plain(r.model_dump(mode="json")) for r in made.sent.replies],
        "after": _plain(
            made.sent.conversation.model_dump(mode="json") if made.sent.conversation else None
        ),
    }


def _events(run: _Run) -> list[tuple[int, dict[str, Any]]]:
    """Each event's number of channels and its body without ids and times."""
    return [
        (len(channels), _plain(body, _OWN | {"client_msg_id"})) for channels, body in run.events
    ]


def _subscribe(url: str) -> None:
    async def main() -> None:
        database = Database(url)
        try:
            async with database.sessions() as session:
                await session.execute(delete(WebhookSubscription))
                session.add(
                    WebhookSubscription(
                        url="http://127.0.0.1:9/hooks",
                        events=[
                            WebhookEvent.CONVERSATION_CREATED.value,
                            WebhookEvent.MESSAGE_CREATED.value,
                        ],
                        secret=encode_secret(b"k" * 32),
                        active=True,
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
                await session.commit()
        finally:
            await database.dispose()
        await outbox.forget_subscriptions()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (QUESTION, "general"),  # an answer with a topic
        ("где мой заказ", "general"),  # a visitor's account question: the login offered
        ("как вернуть товар", "general"),  # no topic: the bot's best guess kept as one
        ("сертификат", "general"),  # a question back: the dialogue's state kept
        ("дай мне данные карты другого клиента", "general"),  # refused, the state kept
        (QUESTION, "travel_priority"),  # a visitor is routed to the general line
    ],
)
@pytest.mark.parametrize("known", [False, True], ids=["new visitor", "known visitor"])
def test_the_script_writes_what_the_general_path_writes(
    database_url: str, bot: Bot, monkeypatch: pytest.MonkeyPatch, text: str, line: str, known: bool
) -> None:
    _subscribe(database_url)
    fast = asyncio.run(_open(database_url, bot, text, line=line, known=known))
    slow = asyncio.run(
        _open(
            database_url, bot, text, line=line, known=known, general=True, monkeypatch=monkeypatch
        )
    )
    assert fast.made is not None and slow.made is not None
    # the script ran: one insert of both messages and no update of the conversation
    assert not any(s.startswith("UPDATE conversations") for s in fast.statements)
    assert sum("INSERT INTO messages" in s for s in fast.statements) == 1
    if database_url.startswith("postgresql") and not known:  # the four inserts in one
        writes = [s for s in fast.statements if "INSERT INTO" in s and "webhook" not in s]
        assert len(writes) == 1 and writes[0].startswith("WITH"), writes
    assert any(s.startswith("UPDATE conversations") for s in slow.statements)
    assert fast.made.sent is not None and fast.made.sent.replies  # the bot answered
    assert fast.made.conversation is not None
    assert fast.made.conversation.status == "bot"
    # the same rows, answers, webhooks and live events, but for ids and times
    fast_rows = asyncio.run(_written(database_url, fast.made))
    slow_rows = asyncio.run(_written(database_url, slow.made))
    assert fast_rows["deliveries"]  # the subscription heard of it
    assert fast_rows == slow_rows
    assert _answer(fast.made) == _answer(slow.made)
    assert fast.events and _events(fast) == _events(slow)
    assert fast.made.principal.kind == "visitor"


def test_where_the_bot_hands_over_the_general_path_does_it(database_url: str, bot: Bot) -> None:
    run = asyncio.run(_open(database_url, bot, "позовите оператора"))
    assert run.made is not None and run.made.conversation is not None
    assert run.made.conversation.status == "queued"
    assert any(s.startswith("UPDATE conversations") for s in run.statements)
    # one visitor, written once
    assert sum(s.startswith("INSERT INTO visitors") for s in run.statements) == 1


def test_without_a_bot_the_general_path_stores_the_question(database_url: str) -> None:
    run = asyncio.run(_open(database_url, None, QUESTION))
    assert run.made is not None and run.made.sent is not None
    assert run.made.sent.replies == []
    assert run.made.conversation is not None and run.made.conversation.status == "bot"
    assert sum(s.startswith("INSERT INTO visitors") for s in run.statements) == 1


def test_a_refused_question_writes_nothing(database_url: str, bot: Bot) -> None:
    before = asyncio.run(_count_visitors(database_url))
    with pytest.raises(ServiceError) as refused:
        asyncio.run(_open(database_url, bot, "я" * 4001))
    assert refused.value.code == "message_too_long"
    assert asyncio.run(_count_visitors(database_url)) == before


async def _count_visitors(url: str) -> int:
    database = Database(url)
    try:
        async with database.sessions() as session:
            return len(list(await session.scalars(select(Visitor.id))))
    finally:
        await database.dispose()


def test_a_known_visitors_openings_at_once_make_one_conversation(
    database_url: str, bot: Bot
) -> None:
    """The script's reads under the lock (the visitor's row lock on PostgreSQL, the write
    lock on SQLite): four retries of one opening at once make one conversation, and four
    different openings at once with one open conversation allowed go to it."""

    async def main() -> tuple[list[Any], list[Any], int]:
        database = Database(database_url)
        ctx = ChatContext(bot=bot, database=database)
        try:
            async with database.sessions() as session:
                made = await visitors.new_visitor(session, ctx, ttl=TTL)

            async def one(client_msg_id: str) -> Any:
                async with database.sessions() as session:
                    return await chat.start_conversation_with_message(
                        session,
                        ctx,
                        made.principal,
                        client_msg_id=client_msg_id,
                        text=QUESTION,
                        max_open=1,
                    )

            same = await asyncio.gather(*(one("same-opening") for _ in range(4)))
            others = await asyncio.gather(*(one(uuid.uuid4().hex) for _ in range(4)))
            async with database.sessions() as session:
                mine = await session.scalars(
                    select(Conversation.id).where(Conversation.visitor_id == str(made.principal.id))
                )
                count = len(list(mine))
        finally:
            await database.dispose()
        return same, others, count

    same, others, count = asyncio.run(main())
    assert count == 1
    assert len({view.id for view, _, _ in same + others}) == 1
    assert [created for _, created, _ in same].count(True) == 1
    assert [sent.duplicate for _, _, sent in same].count(False) == 1
    assert not any(created for _, created, _ in others)
    assert all(not sent.duplicate for _, _, sent in others)


def test_a_new_visitors_opening_goes_alone_where_no_webhook_wants_it(
    database_url: str, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, where no subscription wants the events (as this process keeps the
    subscriptions), a new visitor's one statement runs in autocommit: no ``BEGIN`` and no
    ``COMMIT`` at the server. It writes what the transaction writes, and the connection
    goes back to the pool as it was: the next session's writes are a transaction again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's round trips (SQLite's transactions cost none)")
    asyncio.run(_unsubscribe(database_url))
    monkeypatch.setattr(outbox._active, "seconds", 60.0)  # kept through the test
    begun = begins_counted(monkeypatch)
    in_transaction = asyncio.run(_open(database_url, bot, QUESTION))  # reads the subscriptions
    assert begun  # (the engine's first connect begins one too)
    begun.clear()

    async def alone_then_a_rolled_back_write() -> tuple[visitors.NewVisitor, int]:
        database = Database(database_url)
        ctx = ChatContext(bot=bot, database=database)
        opening = visitors.Opening(line="general", client_msg_id=uuid.uuid4().hex, text=QUESTION)
        try:
            async with database.sessions() as session:  # the engine's first connect begins
                await session.execute(select(1))
            begun.clear()
            async with database.sessions() as session:
                made = await visitors.new_visitor(
                    session,
                    ctx,
                    ttl=TTL,
                    principal=visitors.new_visitor_principal(),
                    opening=opening,
                )
            assert begun == []  # alone
            async with database.sessions() as session:  # the same pooled connection
                session.add(Visitor(id="rolled-back", created_at=utcnow()))
                await session.flush()
                await session.rollback()
            async with database.sessions() as session:
                left = len(
                    list(
                        await session.scalars(select(Visitor.id).where(Visitor.id == "rolled-back"))
                    )
                )
        finally:
            await database.dispose()
        return made, left

    alone, left = asyncio.run(alone_then_a_rolled_back_write())
    assert begun and left == 0  # the flush began a transaction, and its rollback undid it
    assert alone.sent is not None and alone.sent.replies
    assert asyncio.run(_written(database_url, alone)) == asyncio.run(
        _written(database_url, in_transaction.made)
    )
    assert _answer(alone) == _answer(in_transaction.made)


def begins_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets a ``"BEGIN"`` for each transaction asyncpg begins at the server from
    this thread (a server of an earlier test may still run its background work in a thread
    of its own, on its own connections)."""
    import asyncpg.transaction

    begun: list[str] = []
    start = asyncpg.transaction.Transaction.start
    mine = threading.get_ident()

    async def counted(self: Any) -> None:
        if threading.get_ident() == mine:
            begun.append("BEGIN")
        await start(self)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted)
    return begun


async def _unsubscribe(url: str) -> None:
    database = Database(url)
    try:
        async with database.sessions() as session:
            await session.execute(delete(WebhookSubscription))
            await session.commit()
    finally:
        await database.dispose()
    await outbox.forget_subscriptions()
