"""Chat SLA clocks through the API (issue 15 item 1) and the customer's escalation (issue 20
item 8). The clock is moved by writing due times into the past, never by sleeping; the SLA
timer's round is run directly (the app's own timer is set to an hour)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from marketdesk import services
from marketdesk.server import create_app
from marketdesk.services.auth import authenticate
from marketdesk.services.chat.sla_watch import watch_round
from marketdesk.store.models import Conversation, SlaBreach, SlaWarning, StaffNotice
from tests.chat.conftest import ChatEnv, auth
from tests.conftest import TestDatabase, backends, prepare
from tests.errors import assert_error


@pytest.fixture(scope="module", params=backends())
def env(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChatEnv]:
    db = make_database(request.param)
    prepare(db.url)
    app = create_app(db.settings(sla_chat_interval_seconds=3600))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ChatEnv(db, client)


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _queued(env: ChatEnv, token: str, line: str = "general") -> int:
    cid = int(env.conversation(token, line)["id"])
    response = env.post(token, f"/api/v1/conversations/{cid}/handoff")
    assert response.status_code == 200, response.text
    return cid


def _set(env: ChatEnv, cid: int, **values: Any) -> None:
    async def work(session: Any) -> None:
        await session.execute(update(Conversation).where(Conversation.id == cid).values(**values))
        await session.commit()

    env.run(work)


def _round(env: ChatEnv) -> Any:
    """One round of the SLA timer in the app's own loop, publishing on its broker."""
    state = env.client.app.state  # type: ignore[attr-defined]

    async def run() -> Any:
        async with state.database.sessions() as session:
            return await watch_round(session, state.broker.publish)

    return env.client.portal.call(run)  # type: ignore[union-attr]


def _count(env: ChatEnv, model: Any, cid: int) -> int:
    async def work(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count()).select_from(model).where(model.conversation_id == cid)
            )
        )

    return int(env.run(work))


def _receive(ws: Any, kind: str, limit: int = 50) -> dict[str, Any]:
    for _ in range(limit):
        frame = ws.receive_json()
        if frame["type"] == kind:
            return dict(frame)
    raise AssertionError(f"no {kind} frame")


def test_handoff_starts_first_response_and_resolution(env: ChatEnv) -> None:
    token = env.visitor()
    _, supervisor = env.operator(roles=("supervisor",))
    cid = _queued(env, token)
    staff = env.get(supervisor, cid)
    queued = _at(staff["queued_at"])
    assert queued is not None
    # the defaults: web chat, general line: 3 min to the first reply, 24 h to resolve
    assert _at(staff["first_response_due_at"]) == queued + timedelta(minutes=3)
    assert _at(staff["resolution_due_at"]) == queued + timedelta(hours=24)
    assert staff["next_response_due_at"] is None
    assert (staff["sla_state"], staff["sla_kind"]) == ("ok", "first_response")
    # the customer sees whether they may escalate, not the staff's clocks
    mine = env.get(token, cid)
    assert "first_response_due_at" not in mine and "sla_state" not in mine
    assert mine["escalation_available"] is False


def test_a_bot_conversation_runs_no_clock(env: ChatEnv) -> None:
    token = env.visitor()
    _, supervisor = env.operator(roles=("supervisor",))
    cid = int(env.conversation(token)["id"])
    staff = env.get(supervisor, cid)
    assert staff["status"] == "bot"
    assert staff["sla_state"] is None
    assert staff["first_response_due_at"] is staff["resolution_due_at"] is None


def test_replies_stop_and_customers_start_the_response_clocks(env: ChatEnv) -> None:
    token = env.visitor()
    _, operator = env.operator(lines=("seller",), available=True, capacity=50)
    cid = int(
        env.conversation(
            token, "seller", seller_topic="Финансы", seller_subtopic="Финансовые отчёты"
        )["id"]
    )
    assert env.post(token, f"/api/v1/conversations/{cid}/handoff").status_code == 200
    view = env.get(operator, cid)
    assert view["status"] == "assigned"
    # sellers: 30 min to the first reply
    assert _at(view["first_response_due_at"]) == _at(view["queued_at"]) + timedelta(minutes=30)  # type: ignore[operator]

    # a private note is not a reply
    assert env.send(operator, cid, "проверю выплаты", private=True).status_code == 201
    assert env.get(operator, cid)["first_response_at"] is None
    # the customer writes while the first reply is awaited: no second clock
    assert env.send(token, cid, "Жду ответа").status_code == 201
    assert env.get(operator, cid)["next_response_due_at"] is None

    assert env.send(operator, cid, "Здравствуйте! Смотрю ваш отчёт.").status_code == 201
    view = env.get(operator, cid)
    assert view["first_response_at"] is not None
    assert view["first_response_due_at"] is None
    assert view["sla_kind"] == "resolution"

    assert env.send(token, cid, "Спасибо, жду").status_code == 201
    view = env.get(operator, cid)
    next_due = _at(view["next_response_due_at"])
    assert next_due is not None
    assert view["sla_kind"] == "next_response"
    assert env.send(token, cid, "Ещё вопрос").status_code == 201  # the clock keeps running
    assert _at(env.get(operator, cid)["next_response_due_at"]) == next_due

    assert env.send(operator, cid, "Готово").status_code == 201
    assert env.get(operator, cid)["next_response_due_at"] is None

    assert env.post(operator, f"/api/v1/conversations/{cid}/resolve").status_code == 200
    view = env.get(operator, cid)
    assert view["sla_state"] is None
    assert view["resolution_due_at"] is view["next_response_due_at"] is None

    # the customer writes again: the conversation reopens, its clocks start again
    assert env.send(token, cid, "Нет, не готово").status_code == 201
    view = env.get(operator, cid)
    assert view["status"] == "assigned"
    assert view["resolution_due_at"] is not None and view["next_response_due_at"] is not None
    assert view["first_response_due_at"] is None


def test_the_one_by_one_path_keeps_the_clocks_too(env: ChatEnv) -> None:
    """Without the group-commit writer a plain message goes through ``store_one``."""
    token = env.visitor()
    operator_id, operator = env.operator(available=True, capacity=50)
    cid = _queued(env, token)
    assert env.get(operator, cid)["assigned_operator_id"] == operator_id

    async def reply(session: Any) -> Any:
        who = await authenticate(session, operator)
        assert who is not None
        message = services.chat.OutgoingMessage(cid, "one-by-one", "Здравствуйте!")
        return await services.chat.send(services.chat.ChatContext(), who, message, session=session)

    result = env.run(reply)
    assert result.conversation.first_response_at is not None
    assert result.conversation.first_response_due_at is None
    assert env.get(operator, cid)["first_response_at"] is not None


def test_a_breach_is_recorded_once(env: ChatEnv) -> None:
    token = env.visitor()
    _, supervisor = env.operator(roles=("supervisor",))
    cid = _queued(env, token)
    past = datetime.now(UTC) - timedelta(minutes=1)
    _set(env, cid, first_response_due_at=past)
    assert env.get(supervisor, cid)["sla_state"] == "breached"
    first = _round(env)
    assert (cid, "first_response") in first.breaches
    second = _round(env)
    assert (cid, "first_response") not in second.breaches
    assert _count(env, SlaBreach, cid) == 1


def test_a_late_reply_records_its_breach(env: ChatEnv) -> None:
    token = env.visitor()
    operator_id, operator = env.operator(available=True, capacity=50)
    cid = _queued(env, token)
    _set(env, cid, first_response_due_at=datetime.now(UTC) - timedelta(seconds=30))
    assert env.send(operator, cid, "Извините за ожидание").status_code == 201

    async def work(session: Any) -> list[tuple[str, int | None]]:
        rows = await session.execute(
            select(SlaBreach.kind, SlaBreach.operator_id).where(SlaBreach.conversation_id == cid)
        )
        return [tuple(r) for r in rows]

    assert env.run(work) == [("first_response", operator_id)]
    assert (cid, "first_response") not in _round(env).breaches  # stopped: nothing left


def test_the_warning_reaches_the_operator_and_the_supervisors(env: ChatEnv) -> None:
    token = env.visitor()
    operator_id, operator = env.operator(available=True, capacity=50)
    _, supervisor = env.operator(roles=("supervisor",))
    _, bystander = env.operator(lines=("seller",))
    cid = _queued(env, token)
    assert env.get(operator, cid)["assigned_operator_id"] == operator_id
    # 20 s of 3 min left: within the warning window (a quarter of the target)
    _set(env, cid, first_response_due_at=datetime.now(UTC) + timedelta(seconds=20))
    assert env.get(operator, cid)["sla_state"] == "at_risk"
    with (
        env.client.websocket_connect("/ws/operator") as mine,
        env.client.websocket_connect("/ws/operator") as boss,
    ):
        for ws, who in ((mine, operator), (boss, supervisor)):
            ws.send_json({"type": "auth", "token": who})
            assert ws.receive_json()["type"] == "ready"
        result = _round(env)
        assert (cid, "first_response") in result.warnings
        for ws in (mine, boss):
            frame = _receive(ws, "sla")
            while frame["conversation_id"] != cid:
                frame = _receive(ws, "sla")
            assert (frame["kind"], frame["state"]) == ("first_response", "at_risk")
            assert "Первый ответ" in frame["text"]
    assert (cid, "first_response") not in _round(env).warnings  # once
    assert _count(env, SlaWarning, cid) == 1
    del bystander


def test_escalation_before_and_after_the_deadline(env: ChatEnv) -> None:
    customer_id, token = env.customer()
    _, other = env.customer()
    _, operator = env.operator(roles=("operator",))
    _, supervisor = env.operator(roles=("supervisor",))
    cid = _queued(env, token)
    path = f"/api/v1/conversations/{cid}/escalate"

    assert_error(env.post(token, path), 409, "not_overdue")
    assert_error(env.post(other, path), 404, "conversation_not_found")
    assert_error(env.post(operator, path), 403, "customers_only")
    assert_error(env.post(supervisor, path), 403, "customers_only")
    _, admin = env.operator(roles=("admin",), lines=())
    assert_error(env.post(admin, path), 403, "customers_only")
    _, backoffice = env.operator(roles=("backoffice",), lines=())
    assert_error(env.post(backoffice, path), 404, "conversation_not_found")
    assert_error(env.client.post(path), 401, "unauthorized")

    _set(env, cid, first_response_due_at=datetime.now(UTC) - timedelta(seconds=5))
    assert env.get(token, cid)["escalation_available"] is True
    with env.client.websocket_connect("/ws/operator") as boss:
        boss.send_json({"type": "auth", "token": supervisor})
        assert boss.receive_json()["type"] == "ready"
        response = env.post(token, path)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["escalated_at"] is not None and body["escalation_available"] is False
        assert "assigned_operator_id" not in body
        event = _receive(boss, "escalation")
        assert event["conversation_id"] == cid
    staff = env.get(supervisor, cid)
    escalated = _at(staff["escalated_at"])
    assert escalated is not None
    assert _at(staff["escalation_due_at"]) == escalated + timedelta(hours=2)
    notes = [m["text"] for m in env.messages(token, cid) if m["sender_kind"] == "system"]
    assert "руководителю" in notes[-1]
    # idempotent by refusal: the second call changes nothing
    assert_error(env.post(token, path), 409, "already_escalated")

    async def notices(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(StaffNotice)
                .where(StaffNotice.kind == "conversation_escalated")
                .where(StaffNotice.details["conversation_id"].as_integer() == cid)
            )
        )

    assert env.run(notices) == 1
    del customer_id


def test_a_resolved_conversation_cannot_be_escalated(env: ChatEnv) -> None:
    token = env.visitor()
    _, operator = env.operator(available=True, capacity=50)
    cid = _queued(env, token)
    _set(env, cid, resolution_due_at=datetime.now(UTC) - timedelta(seconds=5))
    assert env.post(operator, f"/api/v1/conversations/{cid}/resolve").status_code == 200
    assert_error(env.post(token, f"/api/v1/conversations/{cid}/escalate"), 409, "not_overdue")
    assert _count(env, SlaBreach, cid) == 1  # resolved late: the breach is recorded
    headers = auth(token)
    assert (
        env.client.get(f"/api/v1/conversations/{cid}", headers=headers).json()[
            "escalation_available"
        ]
        is False
    )


def test_the_policy_setting_is_checked_at_start(tmp_path: Any) -> None:
    from pydantic import ValidationError

    from marketdesk.settings import Settings

    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, sla_policy='{"lines": {"vip": {}}}')
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, sla_policy="{not json")
    settings = Settings(
        data_dir=tmp_path,
        sla_policy='{"channels": {"telegram": {"first_response": {"minutes": 7}}}}',
        sla_warning_share=0.5,
    )
    policy = settings.chat_sla_policy()
    assert policy.targets("general", "telegram").first_response.duration == timedelta(minutes=7)
    assert policy.targets("general", "web").first_response.duration == timedelta(minutes=3)
    assert policy.warning_share == 0.5


def test_clocks_off_start_nothing_and_show_nothing(
    make_database: Callable[[str], TestDatabase],
) -> None:
    """MARKETDESK_SLA_CLOCKS=false: a marketplace without SLAs — the handoff, a reply and
    the customer's next message start no clock, so nothing is due, breached or escalated."""
    from marketdesk.services.chat import sla

    db = make_database("sqlite")
    prepare(db.url)
    settings = db.settings(sla_chat_interval_seconds=3600, sla_clocks=False)
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            off = ChatEnv(db, client)
            token = off.visitor()
            _, operator = off.operator(available=True, capacity=50)
            cid = _queued(off, token)
            assert off.send(operator, cid, "Здравствуйте!").status_code == 201
            assert off.send(token, cid, "Где мой заказ?").status_code == 201
            view = off.get(operator, cid)
            assert view["status"] == "assigned"
            due = ("first_response_due_at", "next_response_due_at", "resolution_due_at")
            assert [view[name] for name in due] == [None, None, None]
            assert view["sla_state"] is None
            assert off.get(token, cid)["escalation_available"] is False
            assert_error(
                off.post(token, f"/api/v1/conversations/{cid}/escalate"), 409, "not_overdue"
            )
    finally:
        sla.configure(settings.chat_sla_policy())  # the next app of this process: clocks on
