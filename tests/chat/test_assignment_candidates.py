"""The line's operators for an assignment are read two ways: by ``assignment._CANDIDATES``
(every dispatch) and, on PostgreSQL, by the migration's ``marketdesk_assignment_candidates``
(the bot's handoff without the row's lock, after the assignment's lock in the same call).
The two must name the same operators with the same capacity and load, or a handoff would
pick another operator than a dispatch would: held equal here over operators that differ
in every condition the reads look at."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import Line
from marketdesk.services.chat import assignment
from marketdesk.store.db import Database
from marketdesk.store.models import Conversation, Operator, OperatorLine, OperatorPresence

LINES = (Line.GENERAL, Line.TRAVEL_PRIORITY)


async def _operators(session: AsyncSession) -> list[int]:
    """Operators of every combination: active or not, available, away or never seen,
    capacity 0, 1 or 3, on one line or both, with 0–3 conversations assigned (and a queued
    and a closed one, which are no load)."""
    ids: list[int] = []
    combos = itertools.product(
        (True, False),
        (True, False, None),
        (0, 1, 3),
        ((Line.GENERAL,), (Line.GENERAL, Line.TRAVEL_PRIORITY)),
    )
    for n, (active, available, capacity, lines) in enumerate(combos):
        operator = Operator(
            login=f"cand-{uuid.uuid4().hex[:10]}",
            password_hash="x",
            full_name=f"Кандидат {n}",
            chat_capacity=capacity,
            is_active=active,
        )
        session.add(operator)
        await session.flush()
        ids.append(operator.id)
        session.add_all(OperatorLine(operator_id=operator.id, line=line) for line in lines)
        if available is not None:
            session.add(OperatorPresence(operator_id=operator.id, available=available))
        for k in range(n % 4):
            session.add(_conversation(operator.id, S.ASSIGNED, k))
        session.add(_conversation(operator.id, S.QUEUED, 9))
        session.add(_conversation(operator.id, S.CLOSED, 10))
    await session.flush()
    return ids


def _conversation(operator_id: int, status: S, k: int) -> Conversation:
    return Conversation(
        visitor_id=None,
        customer_id=None,
        line="general",
        channel="web",
        status=status.value,
        assigned_operator_id=operator_id,
        last_seq=k,
    )


def test_the_functions_operators_are_the_dispatchs(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's function (SQLite reads with the statement alone)")

    async def main() -> None:
        database = Database(database_url)
        try:
            async with database.sessions() as session:
                mine = set(await _operators(session))
                for line in LINES:
                    statement = sorted(
                        tuple(row)
                        for row in await session.execute(assignment._CANDIDATES, {"line": line})
                        if row[0] in mine
                    )
                    function = sorted(
                        tuple(row)
                        for row in await session.execute(
                            select(
                                func.marketdesk_assignment_candidates(
                                    line, assignment.ASSIGN_LOCK_KEY
                                ).table_valued("operator_id", "chat_capacity", "load")
                            )
                        )
                        if row[0] in mine
                    )
                    # active, available, with a capacity: 2 × 2 on the general line, 2 on Travel
                    assert len(statement) == (4 if line == Line.GENERAL else 2)
                    assert {load for _id, _capacity, load in statement} - {0}, statement
                    assert function == statement
                await session.rollback()
        finally:
            await database.dispose()

    asyncio.run(main())


def test_handoffs_share_the_lock_and_a_dispatch_holds_it_alone(database_url: str) -> None:
    """The function (every bot handoff without the row's lock) takes the assignment's lock
    shared: another handoff may take it meanwhile, a dispatch may not; a dispatch's lock
    (``assignment.assign_lock``) keeps every handoff out until its commit."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's advisory lock (SQLite has one writer)")
    key = assignment.ASSIGN_LOCK_KEY

    async def tries(session: AsyncSession) -> tuple[bool, bool]:
        """(a handoff's shared lock taken, a dispatch's exclusive one taken) by ``session``
        now, without waiting; whatever it took is let go with its rollback."""
        shared = await session.scalar(select(func.pg_try_advisory_xact_lock_shared(key)))
        await session.rollback()
        alone = await session.scalar(select(func.pg_try_advisory_xact_lock(key)))
        await session.rollback()
        return bool(shared), bool(alone)

    async def main() -> None:
        database = Database(database_url)
        try:
            async with database.sessions() as holder, database.sessions() as other:
                assert await tries(other) == (True, True)  # nobody holds it
                candidates = func.marketdesk_assignment_candidates(Line.GENERAL, key)
                await holder.execute(
                    select(candidates.table_valued("operator_id", "chat_capacity", "load"))
                )
                assert await tries(other) == (True, False)  # a handoff's: shared
                await holder.rollback()
                await assignment.assign_lock(holder)
                assert await tries(other) == (False, False)  # a dispatch's: alone
                await holder.rollback()
                assert await tries(other) == (True, True)
        finally:
            await database.dispose()

    asyncio.run(main())
