"""Group commit: concurrent sends share one transaction, and every outcome stays what a send
alone would give (order, strict seq, idempotency, refusals, the bot, reopening)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import event

from marketdesk.bot import Bot
from marketdesk.domain.lines import Line
from marketdesk.services import chat
from marketdesk.services.auth import authenticate
from marketdesk.services.chat import ChatWriter, PrivacyRefused, batch
from marketdesk.services.chat import writer as writer_module
from marketdesk.services.chat.guard import passes_guard
from marketdesk.services.chat.sending import SendRequest
from marketdesk.services.errors import Conflict, NotFound, ServiceError
from marketdesk.services.principals import Principal
from marketdesk.store.db import Database
from marketdesk.store.file_locks import WriteLock
from marketdesk.store.models import CouponBan
from tests.chat.conftest import ChatEnv


def _principal(env: ChatEnv, token: str) -> Principal:
    async def work(session: Any) -> Principal:
        return await authenticate(session, token)

    return env.run(work)


def _assigned(env: ChatEnv, token: str) -> int:
    conversation = env.conversation(token)
    view = env.post(token, f"/api/v1/conversations/{conversation['id']}/handoff").json()
    assert view["status"] == "assigned", view
    return int(conversation["id"])


def _request(ctx: chat.ChatContext, principal: Principal, cid: int, text: str, **kw: Any) -> Any:
    guard = kw.pop("guard", None)
    message = chat.OutgoingMessage(
        conversation_id=cid,
        client_msg_id=kw.pop("client_msg_id", uuid.uuid4().hex),
        text=text,
        **kw,
    )
    return SendRequest(ctx=ctx, principal=principal, message=message, guard=guard)


def _submit_all(
    env: ChatEnv, requests: list[Any], bot: Any = None, lanes: int | None = None
) -> tuple[list[Any], Any]:
    """Submit every request before the writer runs once: they meet in its queue (``lanes``:
    the writer's, by default the database's)."""

    async def main() -> tuple[list[Any], Any]:
        database = Database(env.db.url)
        writer = ChatWriter(database, lanes=lanes)
        try:
            for request in requests:
                request.ctx.writer = writer
                request.ctx.bot = bot
            outcomes = await asyncio.gather(
                *(writer.submit(r) for r in requests), return_exceptions=True
            )
            return list(outcomes), writer.stats
        finally:
            await writer.aclose()
            await database.dispose()

    return asyncio.run(main())


@pytest.fixture
def operator(fresh_env: ChatEnv) -> str:
    _, token = fresh_env.operator(available=True, capacity=20)
    return token


def test_concurrent_sends_share_a_commit_and_keep_each_conversations_order(
    fresh_env: ChatEnv, operator: str
) -> None:
    env = fresh_env
    chats = []
    for _ in range(6):
        token = env.visitor()
        chats.append((token, _assigned(env, token), _principal(env, token)))
    start = {cid: env.get(token, cid)["last_seq"] for token, cid, _ in chats}
    ctx = chat.ChatContext()
    requests = [
        _request(ctx, principal, cid, f"сообщение {n}")
        for n in range(10)
        for _, cid, principal in chats
    ]
    outcomes, stats = _submit_all(env, requests)

    assert all(isinstance(o, chat.SendResult) and not o.duplicate for o in outcomes), outcomes
    # one transaction for all of them per lane (SQLite has one lane)
    assert stats.batched_messages == 60 and stats.one_by_one == 0
    assert stats.batches <= stats.lanes
    for token, cid, _ in chats:
        stored = [m for m in env.messages(token, cid) if m["sender_kind"] == "visitor"]
        # stored once each, numbered on from where the conversation was, in the order sent
        assert [m["text"] for m in stored] == [f"сообщение {n}" for n in range(10)]
        assert [m["seq"] for m in stored] == list(range(start[cid] + 1, start[cid] + 11))
        assert env.get(token, cid)["last_seq"] == start[cid] + 10
    by_request = {o.message.client_msg_id: o.message for o in outcomes}
    assert {r.message.client_msg_id for r in requests} == set(by_request)


def test_a_batchs_live_events_are_published_at_once_each_conversations_in_order(
    fresh_env: ChatEnv, operator: str
) -> None:
    """A batch's events are published together (the Redis broker sends them as one message,
    not one round trip each after the other's reply), each conversation's in the order its
    messages were sent."""
    env = fresh_env
    chats = []
    for _ in range(3):
        token = env.visitor()
        chats.append((_assigned(env, token), _principal(env, token)))
    published: list[dict[str, Any]] = []
    in_flight, most = [0], [0]

    async def publish(_channels: Any, event: dict[str, Any]) -> None:
        published.append(event)  # taken in its first step, as the brokers take theirs
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        await asyncio.sleep(0)  # on its way (Redis's reply)
        in_flight[0] -= 1

    ctx = chat.ChatContext(publish=publish)
    requests = [_request(ctx, who, cid, f"сообщение {n}") for n in range(4) for cid, who in chats]
    outcomes, stats = _submit_all(env, requests)

    assert all(isinstance(o, chat.SendResult) for o in outcomes), outcomes
    assert stats.batched_messages == 12
    messages = [e for e in published if e["type"] == "message"]
    assert len(messages) == 12
    for cid, _ in chats:
        texts = [e["message"]["text"] for e in messages if e["conversation_id"] == cid]
        assert texts == [f"сообщение {n}" for n in range(4)]
    # one after another, a publish would start only once the last was through
    assert most[0] >= len(published) // stats.batches > 1


def test_a_mixed_batch_gives_every_send_its_own_outcome(fresh_env: ChatEnv, operator: str) -> None:
    env = fresh_env
    ctx = chat.ChatContext()
    bot = env.client.app.state.bot

    plain_token = env.visitor()
    plain = _assigned(env, plain_token)
    plain_who = _principal(env, plain_token)
    stored_before = env.send(plain_token, plain, "уже отправлено", client_msg_id="earlier")
    assert stored_before.status_code == 201

    bot_token = env.visitor()
    with_bot = env.conversation(bot_token)["id"]  # the bot answers while it has the chat
    bot_who = _principal(env, bot_token)

    resolved_token = env.visitor()
    resolved = _assigned(env, resolved_token)
    assert env.post(operator, f"/api/v1/conversations/{resolved}/resolve").status_code == 200
    resolved_who = _principal(env, resolved_token)

    closed_token = env.visitor()
    closed = _assigned(env, closed_token)
    assert env.post(operator, f"/api/v1/conversations/{closed}/close").status_code == 200
    closed_who = _principal(env, closed_token)

    operator_who = _principal(env, operator)
    before = env.get(plain_token, plain)["last_seq"]

    requests = [
        _request(ctx, plain_who, plain, "первое", client_msg_id="a"),
        _request(ctx, bot_who, with_bot, "Как вернуть товар?"),
        _request(ctx, plain_who, plain, "первое", client_msg_id="a"),  # the same send again
        _request(ctx, resolved_who, resolved, "Ещё вопрос"),
        _request(ctx, closed_who, closed, "А теперь?"),
        _request(ctx, closed_who, plain, "чужой диалог"),
        _request(ctx, plain_who, plain, "уже отправлено", client_msg_id="earlier"),
        _request(ctx, operator_who, plain, "ответ оператора"),
        _request(ctx, operator_who, plain, "заметка", private=True),
        _request(ctx, plain_who, plain, "второе", client_msg_id="b"),
    ]
    outcomes, stats = _submit_all(env, requests, bot=bot)
    first, asked, again, reopened, late, foreign, retried, answer, note, last = outcomes

    assert not first.duplicate and again.duplicate and again.message.id == first.message.id
    assert retried.duplicate and retried.message.id == stored_before.json()["id"]
    assert asked.replies and asked.replies[0].sender_kind == "bot"
    assert reopened.conversation.status == "assigned"
    assert isinstance(late, Conflict) and late.code == "conversation_closed"
    assert isinstance(foreign, NotFound) and foreign.code == "conversation_not_found"
    assert answer.message.sender_kind == "operator" and note.message.private
    assert last.message.seq == first.message.seq + 3
    assert stats.batched_messages == 4  # a, the answer, the note, b: one transaction
    assert stats.one_by_one == 6

    stored = env.messages(operator, plain)
    assert [m["seq"] for m in stored] == list(range(1, before + 5))
    assert [m["text"] for m in stored[-4:]] == ["первое", "ответ оператора", "заметка", "второе"]
    customer_view = [m["text"] for m in env.messages(plain_token, plain)]
    assert "заметка" not in customer_view
    assert env.messages(closed_token, closed)[-1]["text"] != "А теперь?"
    assert all(m["text"] != "чужой диалог" for m in env.messages(closed_token, closed))


def test_an_operator_writes_only_where_assigned_and_nothing_is_stored_otherwise(
    fresh_env: ChatEnv, operator: str
) -> None:
    env = fresh_env
    token = env.visitor()
    cid = _assigned(env, token)
    _, stranger = env.operator(available=False)
    before = env.get(token, cid)["last_seq"]
    ctx = chat.ChatContext()
    outcomes, _ = _submit_all(
        env,
        [
            _request(ctx, _principal(env, stranger), cid, "не мой диалог"),
            _request(ctx, _principal(env, operator), cid, "мой диалог"),
        ],
    )
    assert isinstance(outcomes[0], ServiceError) and outcomes[0].code == "not_assigned"
    assert outcomes[0].status == 403
    assert outcomes[1].message.seq == before + 1
    assert env.get(token, cid)["last_seq"] == before + 1


def test_the_privacy_guard_runs_in_the_batch_and_a_refused_reply_stores_nothing(
    fresh_env: ChatEnv, operator: str
) -> None:
    """An operator's guarded reply is checked in the batch's own transaction: a leak is
    refused (nothing stored, no sequence number used), a clean reply and a retry of a stored
    one go through, whatever the guard would now say of the retry."""
    env = fresh_env
    customer_id, token = env.customer()
    linked = customer_id + 1_000  # another account the customer's coupon ban is linked to

    async def ban(session: Any) -> None:
        session.add(
            CouponBan(customer_id=customer_id, intersections=2, linked_customer_ids=[str(linked)])
        )
        await session.commit()

    env.run(ban)
    cid = _assigned(env, token)
    answered = env.send(operator, cid, "Ответ, который уже ушёл", client_msg_id="sent-before")
    assert answered.status_code == 201, answered.text
    before = env.get(token, cid)["last_seq"]
    ctx = chat.ChatContext()
    who = _principal(env, operator)
    guarded = {"guard": passes_guard}
    outcomes, stats = _submit_all(
        env,
        [
            _request(ctx, who, cid, f"Ваш второй аккаунт {linked} тоже под баном", **guarded),
            _request(ctx, who, cid, "Оплатите картой 4111 1111 1111 1111", **guarded),
            _request(ctx, who, cid, "Проверяю ваш заказ", **guarded),
            # a retry of a reply stored before: answered as such, the guard is not asked again
            _request(ctx, who, cid, f"Аккаунт {linked}", client_msg_id="sent-before", **guarded),
            _request(ctx, who, cid, f"Для себя: связан с {linked}", private=True),
        ],
    )
    linked_leak, card, clean, retried, note = outcomes
    assert isinstance(linked_leak, chat.GuardObjected)
    assert isinstance(card, chat.GuardObjected)
    assert clean.message.seq == before + 1 and note.message.seq == before + 2
    assert retried.duplicate and retried.message.id == answered.json()["id"]
    assert stats.batched_messages == 2
    texts = [m["text"] for m in env.messages(operator, cid)]
    assert texts[-2:] == ["Проверяю ваш заказ", f"Для себя: связан с {linked}"]
    assert not any("4111" in t or f"аккаунт {linked}" in t for t in texts)
    assert env.get(token, cid)["last_seq"] == before + 2


def test_without_a_writer_the_guard_runs_in_the_messages_own_transaction(
    fresh_env: ChatEnv, operator: str
) -> None:
    """The one-by-one path (no writer, or a request the batch leaves alone) checks the same:
    a leak is refused with the reasons and stores nothing, a retry of a stored reply is
    answered as such, a clean reply is stored."""
    env = fresh_env
    token = env.visitor()
    cid = _assigned(env, token)
    answered = env.send(operator, cid, "Ответ, который уже ушёл", client_msg_id="sent-before")
    assert answered.status_code == 201, answered.text
    before = env.get(token, cid)["last_seq"]
    who = _principal(env, operator)
    leak = "У вас 3 пересечения с другими аккаунтами"

    async def send(client_msg_id: str, text: str) -> Any:
        database = Database(env.db.url)
        try:
            async with database.sessions() as session:
                message = chat.OutgoingMessage(cid, client_msg_id=client_msg_id, text=text)
                return await chat.send(chat.ChatContext(), who, message, session=session)
        except PrivacyRefused as refused:
            return refused
        finally:
            await database.dispose()

    refused = asyncio.run(send("leak", leak))
    assert isinstance(refused, PrivacyRefused)
    assert {v["code"] for v in refused.details["violations"]} == {"coupon_ban_details"}
    assert env.get(token, cid)["last_seq"] == before
    retried = asyncio.run(send("sent-before", leak))
    assert retried.duplicate and retried.message.id == answered.json()["id"]
    clean = asyncio.run(send("clean", "Проверяю ваш заказ"))
    assert not clean.duplicate and clean.message.seq == before + 1
    assert [m["text"] for m in env.messages(token, cid)][-1] == "Проверяю ваш заказ"


def test_the_retry_check_searches_the_unique_index_once_per_message(env: ChatEnv) -> None:
    """The batch's look for retries must not read the whole messages index (it grows with
    every message ever sent): one search of (conversation_id, client_msg_id) per pair."""
    if env.db.backend != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL plans a row-value IN by cost and table size)")
    compiled = batch._STORED_BEFORE_SQLITE.compile(
        dialect=env.client.app.state.database.engine.dialect
    )
    statement, params = f"EXPLAIN QUERY PLAN {compiled}", ('[[1, "a"], [2, "b"]]',)

    async def plan(session: Any) -> list[str]:
        connection = await session.connection()
        rows = await connection.exec_driver_sql(statement, params)
        return [str(row[-1]) for row in rows]

    steps = env.run(plan)
    assert any(s.startswith("SEARCH m USING") and "client_msg_id=?" in s for s in steps), steps
    assert not any(s.startswith("SCAN m") for s in steps), steps


def _chats_that_move(env: ChatEnv, operator: str) -> dict[str, Any]:
    """A conversation the bot has, a resolved one and an assigned one, with their callers."""
    bot_token = env.visitor()
    with_bot = int(env.conversation(bot_token)["id"])
    resolved_token = env.visitor()
    resolved = _assigned(env, resolved_token)
    assert env.post(operator, f"/api/v1/conversations/{resolved}/resolve").status_code == 200
    plain_token = env.visitor()
    plain = _assigned(env, plain_token)
    return {
        "bot": (bot_token, with_bot, _principal(env, bot_token)),
        "resolved": (resolved_token, resolved, _principal(env, resolved_token)),
        "plain": (plain_token, plain, _principal(env, plain_token)),
    }


def _moving_requests(env: ChatEnv, chats: dict[str, Any]) -> list[Any]:
    ctx = chat.ChatContext()
    _, with_bot, bot_who = chats["bot"]
    _, resolved, resolved_who = chats["resolved"]
    _, plain, plain_who = chats["plain"]
    return [
        _request(ctx, bot_who, with_bot, "Как вернуть товар?", client_msg_id="bot-1"),
        _request(ctx, plain_who, plain, "обычное", client_msg_id="plain-1"),
        _request(ctx, resolved_who, resolved, "Ещё вопрос", client_msg_id="reopen-1"),
        _request(ctx, bot_who, with_bot, "А сколько ждать?", client_msg_id="bot-2"),
    ]


def _check_moving_outcomes(env: ChatEnv, chats: dict[str, Any], outcomes: list[Any]) -> None:
    asked, plain, reopened, asked_again = outcomes
    assert all(isinstance(o, chat.SendResult) and not o.duplicate for o in outcomes), outcomes
    assert asked.replies and asked.replies[0].sender_kind == "bot"
    assert reopened.conversation.status == "assigned"
    assert plain.message.text == "обычное"
    bot_token, with_bot, _ = chats["bot"]
    stored = env.messages(bot_token, with_bot)
    # each conversation's sends in the order they came, numbered without a gap
    assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
    texts = [m["text"] for m in stored if m["sender_kind"] == "visitor"]
    assert texts[-2:] == ["Как вернуть товар?", "А сколько ждать?"]
    assert asked_again.message.seq > asked.replies[0].seq
    assert env.get(bot_token, with_bot)["last_seq"] == stored[-1]["seq"]


def test_the_bots_turns_and_reopenings_go_one_by_one_without_trying_the_batch(
    fresh_env: ChatEnv, operator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read before the batch sends a customer's message that the bot answers, or that
    reopens a resolved conversation, straight to the one-by-one path: the batch never
    locks, looks at and gives back their conversations; the plain send is batched (on
    SQLite a plain read of the file, on PostgreSQL one round trip for the states the writer
    does not know yet)."""
    env = fresh_env
    chats = _chats_that_move(env, operator)
    batched: list[list[str]] = []
    real_store_batch = writer_module.store_batch

    async def recording(database: Any, requests: Any) -> Any:
        batched.append([r.message.client_msg_id for r in requests])
        return await real_store_batch(database, requests)

    monkeypatch.setattr(writer_module, "store_batch", recording)
    outcomes, stats = _submit_all(env, _moving_requests(env, chats), bot=env.client.app.state.bot)

    _check_moving_outcomes(env, chats, outcomes)
    assert batched == [["plain-1"]]
    assert stats.routed_alone == 3
    assert stats.one_by_one == 3 and stats.batched_messages == 1


def test_the_bot_reads_a_message_before_its_transaction(
    fresh_env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's read before the batch tells it the bot has the conversation: the bot
    reads the message (its search of the articles) before the message's transaction (on
    SQLite before the write lock, which every writer of every process waits for), and the
    dialogue's turn in the transaction uses that reading (the reply and the text's
    analysis) instead of reading again."""
    env = fresh_env
    token = env.visitor()
    cid = int(env.conversation(token)["id"])
    principal = _principal(env, token)
    seen: list[str] = []
    # the reply's work (the search of the articles), which ``ask`` and ``read`` share
    read, reply, acquire = Bot.read, Bot._replied, WriteLock.acquire
    understand = Bot.understand

    def reading(self: Bot, text: str, **kw: Any) -> Any:
        seen.append("read")
        return read(self, text, **kw)

    def replying(self: Bot, *args: Any) -> Any:
        seen.append("ask")
        return reply(self, *args)

    def understanding(self: Bot, text: str) -> Any:
        seen.append("understand")
        return understand(self, text)

    async def locking(self: WriteLock) -> bool:
        seen.append("lock")
        return await acquire(self)

    real_store_one = writer_module.store_one

    async def storing(session: Any, request: Any, **kw: Any) -> Any:
        seen.append("transaction")
        return await real_store_one(session, request, **kw)

    monkeypatch.setattr(Bot, "read", reading)
    monkeypatch.setattr(Bot, "_replied", replying)
    monkeypatch.setattr(Bot, "understand", understanding)
    monkeypatch.setattr(WriteLock, "acquire", locking)
    monkeypatch.setattr(writer_module, "store_one", storing)
    request = _request(chat.ChatContext(), principal, cid, "Сколько идёт доставка?")
    outcomes, stats = _submit_all(env, [request], bot=env.client.app.state.bot)

    assert isinstance(outcomes[0], chat.SendResult) and outcomes[0].replies, outcomes
    assert stats.routed_alone == 1
    # read once, its search (``ask``) inside the reading, all before the transaction
    assert seen[:3] == ["read", "ask", "transaction"]
    assert "ask" not in seen[seen.index("transaction") :]
    # nor the text's analysis: the dialogue's turn takes the reading's (it is the same)
    assert "understand" not in seen[seen.index("transaction") :], seen
    assert ("lock" in seen) is (env.db.backend == "sqlite")  # PostgreSQL: no lock of ours


def test_one_by_one_sends_keep_each_conversations_order_side_by_side(
    fresh_env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sends left to ``store_one`` (here the bot's turns): one conversation's one after
    another, in order; different conversations' side by side (none waits for another's round
    trips to PostgreSQL, or, on SQLite, for what another does outside the write lock)."""
    env = fresh_env
    chats = []
    for _ in range(3):
        token = env.visitor()
        chats.append((int(env.conversation(token)["id"]), _principal(env, token)))
    running: dict[int, int] = {}
    most_at_once, most_in_one = [0], [0]
    started: list[tuple[int, str]] = []
    real_store_one = writer_module.store_one

    async def watched(session: Any, request: Any, **kw: Any) -> Any:
        cid = request.message.conversation_id
        started.append((cid, request.message.text))
        running[cid] = running.get(cid, 0) + 1
        most_at_once[0] = max(most_at_once[0], sum(running.values()))
        most_in_one[0] = max(most_in_one[0], running[cid])
        try:
            await asyncio.sleep(0.02)  # as if waiting for the database
            return await real_store_one(session, request, **kw)
        finally:
            running[cid] -= 1

    monkeypatch.setattr(writer_module, "store_one", watched)
    ctx = chat.ChatContext()
    texts = ["Как вернуть товар?", "А сколько ждать?"]
    requests = [_request(ctx, who, cid, text) for text in texts for cid, who in chats]
    # one lane: they all meet in one batch (PostgreSQL's lanes run side by side anyway)
    outcomes, stats = _submit_all(env, requests, bot=env.client.app.state.bot, lanes=1)

    assert all(isinstance(o, chat.SendResult) for o in outcomes), outcomes
    assert stats.one_by_one == 6
    assert most_in_one[0] == 1
    for cid, _ in chats:
        assert [text for c, text in started if c == cid] == texts
    assert most_at_once[0] > 1


@pytest.mark.parametrize("read", ["nothing moves", "everything moves"])
def test_a_read_before_the_batch_that_is_out_of_date_changes_no_outcome(
    fresh_env: ChatEnv, operator: str, monkeypatch: pytest.MonkeyPatch, read: str
) -> None:
    """The read before the batch only routes: a conversation that started moving after it
    is still caught under the batch's lock, and one routed alone that no longer moves is
    stored by the one-by-one path all the same."""
    env = fresh_env
    chats = _chats_that_move(env, operator)

    async def out_of_date(_database: Any, requests: Any, *_: Any) -> dict[int, str | None]:
        if read == "nothing moves":
            return {}
        # and the bot's reading worked out for a line none of them is on: not used
        return {r.message.conversation_id: Line.TRAVEL_PRIORITY for r in requests}

    monkeypatch.setattr(writer_module, "one_by_one_first", out_of_date)
    outcomes, stats = _submit_all(env, _moving_requests(env, chats), bot=env.client.app.state.bot)

    _check_moving_outcomes(env, chats, outcomes)
    assert stats.routed_alone == (0 if read == "nothing moves" else 4)
    assert stats.batched_messages == (1 if read == "nothing moves" else 0)


def test_the_bots_answer_writes_the_conversations_row_once_after_its_lock(
    fresh_env: ChatEnv,
) -> None:
    """The conversation's row is the transaction's from the message's lock on: the bot's
    answer is numbered in memory and ``last_seq`` written with the conversation's other
    changes, not by a statement of its own."""
    env = fresh_env
    token = env.visitor()
    cid = int(env.conversation(token)["id"])
    who = _principal(env, token)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    async def main() -> Any:
        database = Database(env.db.url)
        writer = ChatWriter(database)
        ctx = chat.ChatContext(writer=writer, bot=env.client.app.state.bot)
        event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            return await writer.submit(_request(ctx, who, cid, "Как вернуть товар?"))
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", record)
            await writer.aclose()
            await database.dispose()

    before = env.get(token, cid)["last_seq"]
    result = asyncio.run(main())
    [reply] = result.replies
    assert (result.message.seq, reply.seq) == (before + 1, before + 2)
    assert env.get(token, cid)["last_seq"] == before + 2
    updates = [s for s in statements if "UPDATE conversations" in s]
    if env.db.url.startswith("postgresql"):  # no lock: the row's version read, then written
        # once, on the messages' insert, if still that version (``follow_up.answer_unlocked``)
        assert len(updates) == 1, updates
        assert updates[0].startswith("WITH") and "conversations.xmin::text =" in updates[0]
        assert "last_seq=$" in updates[0] and "last_seq +" not in updates[0]
        return
    assert len(updates) == 2, updates  # the lock, then the conversation's changes once
    assert updates[0].startswith("UPDATE") and "last_seq=(conversations.last_seq +" in updates[0]
    second = updates[1][updates[1].index("UPDATE conversations") :]
    assert "last_seq=" in second and "last_seq +" not in second
