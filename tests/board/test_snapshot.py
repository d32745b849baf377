"""The wallboard's figures on a small handmade contact centre, with the expected numbers
worked out by hand (issue 15: tests of every metric's definition)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as engine_events

from marketdesk.domain.tasks import COMPLAINTS_QUEUE, UNDER_CONTROL_QUEUE
from marketdesk.realtime.broker import InProcessBroker
from marketdesk.services import board
from marketdesk.store.db import Database
from marketdesk.store.models import (
    Conversation,
    Operator,
    OperatorPresence,
    OperatorRole,
    RatingReview,
    Task,
)
from marketdesk.workers.board import push_once
from tests.conftest import TestDatabase, backends, prepare, run_db

# 15:00 in Moscow; the Moscow day began at 21:00 UTC the day before
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WARNING = timedelta(minutes=5)
S = timedelta(seconds=1)


@pytest.fixture(scope="module", params=backends())
def db(request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]) -> Any:
    database = make_database(request.param)
    prepare(database.url, demo=False)
    run_db(database, _fill)
    return database


def _conversation(cid: int, line: str, channel: str, status: str, **values: Any) -> Conversation:
    values.setdefault("created_at", NOW - 600 * S)
    return Conversation(
        id=cid,
        line=line,
        channel=channel,
        status=status,
        last_seq=0,
        extra={},
        updated_at=NOW,
        **values,
    )


async def _fill(session: Any) -> None:
    session.add_all(
        Operator(id=n, login=f"op{n}", password_hash="x", full_name=f"Оп {n}", chat_capacity=2)
        for n in (1, 2, 3, 4)
    )
    await session.flush()
    session.add_all(
        [
            OperatorPresence(operator_id=1, available=True, updated_at=NOW),
            OperatorPresence(operator_id=2, available=True, updated_at=NOW),
            OperatorPresence(operator_id=3, available=False, updated_at=NOW),  # not taking chats
            OperatorRole(operator_id=1, role="operator"),
            OperatorRole(operator_id=4, role="supervisor"),
        ]
    )
    general, travel, seller = "general", "travel_priority", "seller"
    session.add_all(
        [
            # waiting: 300 s and 60 s on the general web chat, 30 s on Travel by Telegram
            _conversation(
                1, general, "web", "queued",
                queued_at=NOW - 300 * S, first_response_due_at=NOW - 10 * S,  # overdue
            ),
            _conversation(
                2, general, "web", "queued",
                queued_at=NOW - 60 * S, first_response_due_at=NOW + 120 * S,  # at risk
            ),
            _conversation(
                3, travel, "telegram", "queued",
                queued_at=NOW - 30 * S,
                created_at=datetime(2026, 12, 1, 20, 59, tzinfo=UTC),  # yesterday in Moscow
            ),
            # with operators: operator 1 at capacity (2 of 2), operator 2 has 1 of 2
            _conversation(
                4, general, "web", "assigned",
                assigned_operator_id=1, queued_at=NOW - 500 * S,
                next_response_due_at=NOW + 10 * 60 * S,  # outside the window
            ),
            _conversation(5, general, "web", "assigned", assigned_operator_id=1, queued_at=NOW),
            _conversation(
                6, seller, "web", "assigned",
                assigned_operator_id=2, queued_at=NOW - 400 * S,
                next_response_due_at=NOW + 4 * 60 * S,  # at risk
            ),
            # the bot: one still talking, one resolved without a person (both contained)
            _conversation(7, general, "web", "bot"),
            _conversation(8, general, "web", "resolved", rating=1, resolved_at=NOW),
            # closed after a person: overdue once, but no longer open
            _conversation(
                9, general, "email", "closed",
                queued_at=NOW - 3600 * S, first_response_due_at=NOW - 3600 * S, rating=2,
            ),
            # created at 21:00 UTC: 00:00 in Moscow, today
            _conversation(
                10, general, "web", "closed",
                created_at=datetime(2026, 12, 1, 21, 0, tzinfo=UTC), queued_at=NOW - 7200 * S,
            ),
        ]
    )  # fmt: skip
    await session.flush()
    hour = 3600 * S

    def task(number: str, queue: str, status: str, deadline: datetime | None) -> Task:
        return Task(
            number=number,
            queue=queue,
            status=status,
            deadline_at=deadline,
            title="Задача",
            description="",
            priority="normal",
            created_at=NOW,
        )

    session.add_all(
        [
            task("T-1", COMPLAINTS_QUEUE, "new", NOW - hour),
            task("T-2", COMPLAINTS_QUEUE, "in_progress", NOW + hour),
            task("T-3", COMPLAINTS_QUEUE, "done", NOW - hour),
            task("T-4", UNDER_CONTROL_QUEUE, "waiting", NOW - S),
            task("T-5", "Прочее", "new", None),
            RatingReview(conversation_id=8, rating=1, status="open", created_at=NOW),
            RatingReview(conversation_id=9, rating=2, status="done", created_at=NOW),
        ]
    )
    await session.commit()


def _snapshot(db: TestDatabase) -> board.Board:
    return run_db(db, lambda session: board.snapshot(session, None, warning=WARNING, now=NOW))


def test_conversations_per_line_and_channel(db: TestDatabase) -> None:
    snap = _snapshot(db)
    rows = {(r.line, r.channel): r for r in snap.lines}
    assert list(rows) == [
        ("general", "web"),  # 9 came by e-mail but is closed: no e-mail row
        ("travel_priority", "web"),
        ("travel_priority", "telegram"),
        ("seller", "web"),
    ]
    general = rows["general", "web"]
    assert (general.bot, general.waiting, general.active, general.longest_wait_s) == (1, 2, 2, 300)
    assert (general.line_title, general.channel_title) == ("Общая линия поддержки", "Чат на сайте")
    travel = rows["travel_priority", "telegram"]
    assert (travel.waiting, travel.longest_wait_s, travel.channel_title) == (1, 30, "Telegram")
    empty = rows["travel_priority", "web"]  # every line is shown, empty ones too
    assert (empty.bot, empty.waiting, empty.active, empty.longest_wait_s) == (0, 0, 0, None)
    assert rows["seller", "web"].active == 1
    assert (snap.waiting, snap.active, snap.bot, snap.longest_wait_s) == (3, 3, 1, 300)


def test_operators_online_and_at_capacity(db: TestDatabase) -> None:
    operators = _snapshot(db).operators
    # 1 and 2 take chats (3 does not, 4 has no presence); 1 has 2 of 2, 2 has 1 of 2
    assert operators.model_dump() == {"online": 2, "at_capacity": 1, "chats": 3, "capacity": 4}


def test_sla_at_risk_and_overdue(db: TestDatabase) -> None:
    sla = _snapshot(db).sla
    # 1 overdue (10 s ago); 2 (in 2 min) and 6 (in 4 min) inside 5 min; 4 (10 min) not;
    # 9 is overdue but closed
    assert (sla.overdue, sla.at_risk, sla.conversation_ids) == (1, 2, [1, 2, 6])
    assert sla.warning_minutes == 5


def test_bot_containment_today(db: TestDatabase) -> None:
    containment = _snapshot(db).containment
    # today in Moscow: 1, 2, 4–10 (3 was created a minute before midnight) = 9;
    # never queued: 7 and 8
    assert (containment.created, containment.contained) == (9, 2)
    assert containment.rate == round(2 / 9, 4)


def test_backlog_and_overdue_tasks_per_queue(db: TestDatabase) -> None:
    tasks = {t.queue: (t.backlog, t.overdue) for t in _snapshot(db).tasks}
    assert tasks[COMPLAINTS_QUEUE] == (2, 1)  # T-3 is done
    assert tasks[UNDER_CONTROL_QUEUE] == (1, 1)
    assert tasks["Прочее"] == (1, 0)  # a queue outside the catalogue is still counted
    assert sum(backlog for backlog, _ in tasks.values()) == 4


def test_open_reviews(db: TestDatabase) -> None:
    assert _snapshot(db).reviews_open == 1


def test_the_push_reaches_connected_supervisors_only(db: TestDatabase) -> None:
    async def main() -> tuple[list[Any], list[Any], int, int]:
        database = Database(db.url)
        broker = InProcessBroker()
        boss: list[Any] = []
        operator: list[Any] = []
        statements: list[str] = []

        def record(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements.append(sql)

        engine_events.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            # the process's own subscriptions and a visitor's socket: no operator's socket
            broker.subscribe(["line:general"], lambda _c, _event: None)
            broker.subscribe(["conversation:1"], lambda _c, _event: None)
            nobody = await push_once(database, broker, warning=WARNING)
            assert statements == []  # nothing read for nobody
            broker.subscribe(["operator:4"], lambda _c, event: boss.append(event))
            broker.subscribe(["operator:1"], lambda _c, event: operator.append(event))
            pushed = await push_once(database, broker, warning=WARNING)
        finally:
            await database.dispose()
        return boss, operator, nobody, pushed

    boss, operator, nobody, pushed = asyncio.run(main())
    assert (nobody, pushed) == (0, 1)
    assert operator == []
    assert len(boss) == 1 and boss[0]["type"] == "board"
    assert boss[0]["board"]["operators"]["online"] == 2
