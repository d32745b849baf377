"""A handmade history in the shared demo database, in a week of March 2025 that no other
test touches (Monday 3 – Sunday 9 March, Moscow), with every number worked out by hand in
``EXPECTED``.

    A  general web      coupons    Mon 03 10:00  handed 10:01, 1st reply 10:03, resolved 10:13
                                                 operator, rating 5 «Спасибо, быстро»
    B  general telegram coupons    Mon 03 11:00  handed 11:00, 1st reply 11:10, resolved 11:30
                                                 operator, first-response breach, rating 2 «Долго»
    C  general web      coupons    Tue 04 09:00  the bot solved it at 09:02, rating 4
    D  general web      discounts  Tue 04 12:00  the bot solved it at 12:05
    E  seller  email    (no topic) Fri 07 17:00  handed 17:30, 1st reply Mon 10 09:45, resolved
                                                 10:45, sellers (the seller line counts business
                                                 hours: 30 + 45 min = 4 500 s to the 1st reply)
    task: Жалобы, created Mon 03 10:00, deadline Tue 04 10:00, closed Wed 05 12:00 (late)
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from marketdesk.domain.tasks import MOSCOW_TZ
from marketdesk.store.models import Conversation, MetaValue, Operator, SlaBreach, Task
from tests.conftest import TestDatabase, run_db

MARKER = "tests.reports.history"
PERIOD = {"from": "2025-03-03", "to": "2025-03-09"}


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=MOSCOW_TZ)


async def _make(session) -> dict[str, int]:
    found = await session.get(MetaValue, MARKER)
    if found is not None:
        return dict(json.loads(found.value))
    ops = {
        login: oid
        for login, oid in await session.execute(
            select(Operator.login, Operator.id).where(Operator.login.in_(["operator", "sellers"]))
        )
    }

    def conv(**values) -> Conversation:
        values.setdefault("status", "closed")
        values.setdefault("updated_at", values["created_at"])
        return Conversation(**values)

    rows = {
        "A": conv(
            line="general", channel="web", topic="coupons", created_at=msk(3, 10),
            queued_at=msk(3, 10, 1), first_response_at=msk(3, 10, 3), resolved_at=msk(3, 10, 13),
            assigned_operator_id=ops["operator"], rating=5, rating_comment="Спасибо, быстро",
            rated_at=msk(3, 10, 20),
        ),
        "B": conv(
            line="general", channel="telegram", topic="coupons", created_at=msk(3, 11),
            queued_at=msk(3, 11), first_response_at=msk(3, 11, 10), resolved_at=msk(3, 11, 30),
            assigned_operator_id=ops["operator"], rating=2, rating_comment="Долго",
            rated_at=msk(3, 11, 40),
        ),
        "C": conv(
            line="general", channel="web", topic="coupons", created_at=msk(4, 9),
            resolved_at=msk(4, 9, 2), rating=4, rated_at=msk(4, 9, 5),
        ),
        "D": conv(
            line="general", channel="web", topic="discounts", created_at=msk(4, 12),
            resolved_at=msk(4, 12, 5),
        ),
        "E": conv(
            line="seller", channel="email", topic=None, created_at=msk(7, 17),
            queued_at=msk(7, 17, 30), first_response_at=msk(10, 9, 45),
            resolved_at=msk(10, 10, 45),
            assigned_operator_id=ops["sellers"],
        ),
    }  # fmt: skip
    session.add_all(rows.values())
    await session.flush()
    session.add(
        SlaBreach(
            conversation_id=rows["B"].id,
            kind="first_response",
            due_at=msk(3, 11, 5),
            breached_at=msk(3, 11, 5),
            operator_id=ops["operator"],
        )
    )
    session.add(
        Task(
            number="CTASK-REPORTS-1",
            queue="Жалобы",
            title="Проверить жалобу",
            status="done",
            created_at=msk(3, 10),
            updated_at=msk(5, 12),
            deadline_at=msk(4, 10),
            closed_at=msk(5, 12),
        )
    )
    ids = {name: row.id for name, row in rows.items()} | ops
    session.add(MetaValue(key=MARKER, value=json.dumps(ids)))
    await session.commit()
    return ids


@pytest.fixture(scope="session")
def history(demo_db: TestDatabase) -> dict[str, int]:
    """The ids of the handmade conversations (and of the two operators)."""
    return run_db(demo_db, _make)
