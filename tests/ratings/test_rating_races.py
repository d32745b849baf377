"""A low rating raced with itself, with another rating and with the reminder: one rating, one
review, one reminder at most, and never a 500."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from marketdesk.services import ratings
from marketdesk.store.models import Conversation, RatingReview
from tests.chat.conftest import ChatEnv
from tests.chat.test_races import N, _codes, _race


def _reviews(env: ChatEnv, cid: int) -> int:
    async def work(session: Any) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(RatingReview)
            .where(RatingReview.conversation_id == cid)
        )
        return int(count or 0)

    return int(env.run(work))


def test_the_same_low_rating_at_once_opens_one_review(env: ChatEnv, resolved: Any) -> None:
    cid, visitor, _ = resolved()
    body = {"rating": 1, "comment": "Плохо"}
    responses = _race(env, [(visitor, f"/api/v1/conversations/{cid}/rating", body)] * N)
    assert _codes(responses) == {(200, None): N}
    assert _reviews(env, cid) == 1


def test_different_ratings_at_once_keep_one(env: ChatEnv, resolved: Any) -> None:
    cid, visitor, _ = resolved()
    path = f"/api/v1/conversations/{cid}/rating"
    calls = [(visitor, path, {"rating": 1 + n % 2}) for n in range(N)]  # 1 and 2, both low
    codes = _codes(_race(env, calls))
    assert set(codes) <= {(200, None), (409, "already_rated")}
    assert codes[(409, "already_rated")] >= N // 2  # the other rating is refused
    assert _reviews(env, cid) == 1


def test_reminders_at_once_send_one(env: ChatEnv, resolved: Any) -> None:
    cid, visitor, _ = resolved()

    async def main() -> list[list[int]]:
        from marketdesk.store.db import Database

        database = Database(env.db.url)
        try:
            async with database.sessions() as session:
                resolved_at = await session.scalar(
                    select(Conversation.resolved_at).where(Conversation.id == cid)
                )

            async def one() -> list[int]:
                async with database.sessions() as session:
                    return await ratings.send_reminders(
                        session, delay=timedelta(hours=1), now=resolved_at + timedelta(hours=2)
                    )

            results = await asyncio.gather(*(one() for _ in range(4)), return_exceptions=True)
        finally:
            await database.dispose()
        return [r for r in results if isinstance(r, list)]

    results = asyncio.run(main())
    assert sum(cid in sent for sent in results) == 1
    texts = [m["text"] for m in env.messages(visitor, cid)]
    assert texts.count(ratings.TEXT_RATING_REMINDER) == 1
