"""One door for sending (issue 19): the send's dry run, attachments committed with their
message, and live events published after the commit — for every writer, the ones outside
the chat included (a task's note, a visitor's conversations moving to the customer)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from marketdesk.domain.channels import Channel
from marketdesk.services import chat
from marketdesk.services.auth import authenticate
from marketdesk.services.errors import Conflict
from marketdesk.store.db import Database
from marketdesk.store.models import Attachment, Conversation, CouponBan
from marketdesk.store.transactions import serialized
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error


def _with_database(env: ChatEnv, work: Any) -> Any:
    async def main() -> Any:
        database = Database(env.db.url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_events_are_published_after_the_commit_and_never_after_a_rollback(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    events: list[tuple[list[str], dict[str, Any]]] = []

    async def record(channels: Any, event: dict[str, Any]) -> None:
        events.append((list(channels), event))

    async def work(database: Database) -> list[int]:
        chat.set_default_publisher(database.sessions, record)
        seen_before_commit = []
        async with database.sessions() as session:
            await chat.add_system_message(session, cid, "Отменённая заметка")
            await session.rollback()
            await chat.add_system_message(session, cid, "Заметка, которая осталась")
            seen_before_commit.append(len(events))
            await session.commit()
        return seen_before_commit

    assert _with_database(env, work) == [0]
    assert [e["message"]["text"] for _, e in events] == ["Заметка, которая осталась"]
    assert events[0][0] == [f"conversation:{cid}"]
    texts = [m["text"] for m in env.messages(token, cid)]
    assert "Заметка, которая осталась" in texts and "Отменённая заметка" not in texts


def test_a_task_note_reaches_the_customers_socket(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    last = env.get(token, cid)["last_seq"]
    with env.client.websocket_connect(f"/ws/conversations/{cid}") as ws:
        ws.send_json({"type": "auth", "token": token, "last_seq": last})
        assert ws.receive_json()["type"] == "ready"
        created = env.post(
            operator,
            "/api/v1/tasks",
            {"queue": "Ошибка описания", "title": "Неверный вес", "conversation_id": cid},
        )
        assert created.status_code == 201, created.text
        frame = ws.receive_json()
        while frame["type"] == "ping":
            frame = ws.receive_json()
    assert frame["type"] == "message"
    assert created.json()["number"] in frame["message"]["text"]
    assert frame["message"]["seq"] == last + 1


def test_a_visitors_conversations_move_to_the_customer_with_a_live_event(env: ChatEnv) -> None:
    visitor = env.visitor()
    cid = env.conversation(visitor)["id"]
    customer_id, _ = env.customer()
    events: list[dict[str, Any]] = []

    async def record(_channels: Any, event: dict[str, Any]) -> None:
        events.append(event)

    async def work(database: Database) -> list[int]:
        chat.set_default_publisher(database.sessions, record)
        async with database.sessions() as session:
            principal = await authenticate(session, visitor)
            moved = await chat.adopt_visitor_conversations(session, str(principal.id), customer_id)
            assert events == []
            await session.commit()
        return moved

    assert _with_database(env, work) == [cid]
    [changed] = [e for e in events if e["type"] == "conversation"]
    assert changed["conversation"]["customer_id"] == customer_id


def test_the_send_dry_run_refuses_what_the_send_refuses_and_stores_nothing(
    fresh_env: ChatEnv,
) -> None:
    env = fresh_env
    _, operator = env.operator(available=True)
    _, other = env.operator(available=False)
    customer_id, token = env.customer()

    async def ban(session: Any) -> None:
        session.add(CouponBan(customer_id=customer_id, intersections=3, linked_customer_ids=[]))
        await session.commit()

    env.run(ban)
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    before = env.get(token, cid)["last_seq"]

    def check(who: str, text: str) -> Any:
        return env.client.post(
            "/api/v1/guard/check",
            json={"text": text, "conversation_id": cid},
            headers=auth(who),
        )

    leak = check(operator, "У вас 3 пересечения с другими аккаунтами")
    assert leak.status_code == 200, leak.text
    assert leak.json()["ok"] is False
    assert {v["code"] for v in leak.json()["violations"]} == {"coupon_ban_details"}
    assert check(operator, "Проверяю ваш заказ").json() == {
        "ok": True,
        "violations": [],
        "message": None,
    }
    # another operator of the line may read the conversation but not write to the customer
    refused = check(other, "Проверяю ваш заказ")
    assert_error(refused, 403, "not_assigned")
    assert_error(check(operator, "   "), 422, "message_empty")
    assert env.get(token, cid)["last_seq"] == before
    assert env.post(token, f"/api/v1/conversations/{cid}/close").status_code == 200
    assert_error(check(operator, "Проверяю ваш заказ"), 409, "conversation_closed")


def test_an_attachment_is_stored_with_its_message_or_not_at_all(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    assert env.post(token, f"/api/v1/conversations/{cid}/close").status_code == 200
    upload = chat.NewAttachment(
        filename="скрин.png", content_type="image/png", size=4, sha256="0" * 64
    )

    async def work(database: Database) -> tuple[Any, int]:
        async with database.sessions() as session:
            principal = await authenticate(session, token)
            message = chat.OutgoingMessage(
                cid, client_msg_id="closed-file", text="", attachments=(upload,)
            )
            try:
                outcome: Any = await chat.send(
                    chat.ChatContext(), principal, message, session=session
                )
            except Conflict as refused:
                outcome = refused
            rows = await session.scalar(
                select(func.count())
                .select_from(Attachment)
                .where(Attachment.conversation_id == cid)
            )
        return outcome, int(rows or 0)

    outcome, rows = _with_database(env, work)
    assert isinstance(outcome, Conflict) and outcome.code == "conversation_closed"
    assert rows == 0


def test_the_sqlite_write_lock_is_reentrant_within_a_task(env: ChatEnv) -> None:
    """A use case holding the lock may call another that takes it (an upload sends through
    the chat's door); another task still waits for it."""
    order: list[str] = []

    @serialized
    async def inner(_session: Any, name: str) -> None:
        order.append(name)

    @serialized
    async def outer(session: Any) -> None:
        order.append("outer")
        await asyncio.sleep(0)
        await inner(session, "inner")
        order.append("outer done")

    async def work(database: Database) -> None:
        async with database.sessions() as a, database.sessions() as b:
            await asyncio.wait_for(asyncio.gather(outer(a), inner(b, "other")), timeout=30)

    _with_database(env, work)
    if env.db.backend == "sqlite":  # the other task never came in the middle of outer
        # (which of the two takes the lock first depends on whose connection is ready first)
        assert order in (
            ["outer", "inner", "outer done", "other"],
            ["other", "outer", "inner", "outer done"],
        )
    else:  # PostgreSQL: no process lock at all
        assert sorted(order) == sorted(["outer", "inner", "outer done", "other"])


def test_a_message_keeps_the_channel_it_came_in(env: ChatEnv) -> None:
    """A channel's adapter says where a message came from; readers see it (the web chat's
    messages say ``web``)."""
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")

    async def work(database: Database) -> Any:
        async with database.sessions() as session:
            principal = await authenticate(session, token)
            message = chat.OutgoingMessage(
                cid, client_msg_id="tg-1", text="Пишу из Telegram", channel=Channel.TELEGRAM
            )
            return await chat.send(chat.ChatContext(), principal, message, session=session)

    sent = _with_database(env, work)
    assert sent.message.channel == "telegram"
    env.send(token, cid, "А это из веб-чата")
    by_text = {m["text"]: m["channel"] for m in env.messages(token, cid)}
    assert by_text["Пишу из Telegram"] == "telegram"
    assert by_text["А это из веб-чата"] == "web"


def test_published_events_are_exactly_the_protocols_event_models(env: ChatEnv) -> None:
    """The events are built as dicts (cheaper than validating a dumped view into a model and
    dumping it again); they must stay what the models of ``chat.events`` describe."""
    token = env.visitor()
    cid = env.conversation(token)["id"]
    events: list[dict[str, Any]] = []

    async def record(_channels: Any, event: dict[str, Any]) -> None:
        events.append(event)

    async def work(database: Database) -> None:
        chat.set_default_publisher(database.sessions, record)
        async with database.sessions() as session:
            await chat.add_system_message(session, cid, "Заметка для проверки событий")
            await session.commit()
        async with database.sessions() as session:
            conversation = await session.get(Conversation, cid)
            changes = chat.events.Changes(record)
            changes.changed(conversation, None)
            await changes.publish()

    _with_database(env, work)
    kinds = {"message": chat.events.MessageStored, "conversation": chat.events.ConversationChanged}
    assert [e["type"] for e in events] == ["message", "conversation"]
    for event in events:
        model = kinds[event["type"]]
        assert model.model_validate(event).model_dump(mode="json") == event
    assert events[0]["message"]["text"] == "Заметка для проверки событий"
    assert events[1]["conversation"]["id"] == cid
