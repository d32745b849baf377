"""«Оценка сервиса» (issue 15, item 2): the customer rates a resolved conversation once, 1–5
with an optional comment; a low rating opens a review that supervisors list and close; one
reminder goes to a customer who has not rated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.domain.ratings import COMMENT_MAX_CHARS
from marketdesk.services import ratings
from marketdesk.store.models import Conversation, Message, RatingReminder, RatingReview
from tests.chat.conftest import ChatEnv
from tests.errors import assert_error

RATING = "/api/v1/conversations/{}/rating"
REVIEWS = "/api/v1/rating-reviews"


def rate(env: ChatEnv, token: str, cid: int, rating: int, comment: str | None = None) -> Any:
    body: dict[str, Any] = {"rating": rating}
    if comment is not None:
        body["comment"] = comment
    return env.post(token, RATING.format(cid), body)


def stored(env: ChatEnv, cid: int) -> tuple[int | None, str | None]:
    async def work(session: Any) -> tuple[int | None, str | None]:
        row = (
            await session.execute(
                select(Conversation.rating, Conversation.rating_comment).where(
                    Conversation.id == cid
                )
            )
        ).one()
        return row.rating, row.rating_comment

    return env.run(work)


def reviews(env: ChatEnv, token: str, **params: Any) -> Any:
    return env.client.get(REVIEWS, params=params, headers={"Authorization": f"Bearer {token}"})


def review_of(env: ChatEnv, token: str, cid: int, status: str = "open") -> dict[str, Any] | None:
    found = [r for r in reviews(env, token, status=status, limit=200).json()["reviews"]]
    return next((r for r in found if r["conversation_id"] == cid), None)


def test_a_rating_with_a_comment_is_stored_once(env: ChatEnv, resolved: Any) -> None:
    cid, visitor, _ = resolved()
    response = rate(env, visitor, cid, 5, "  Быстро и вежливо, спасибо!  ")
    assert response.status_code == 200, response.text
    assert response.json()["rating"] == 5
    assert stored(env, cid) == (5, "Быстро и вежливо, спасибо!")
    # the same again is a retry: the conversation as it is
    again = rate(env, visitor, cid, 5, "Быстро и вежливо, спасибо!")
    assert again.status_code == 200
    # another rating or comment afterwards is refused
    assert_error(rate(env, visitor, cid, 3), 409, "already_rated")
    assert_error(rate(env, visitor, cid, 5, "Передумал"), 409, "already_rated")
    assert stored(env, cid) == (5, "Быстро и вежливо, спасибо!")


def test_the_comment_is_optional_and_limited(env: ChatEnv, resolved: Any) -> None:
    cid, visitor, _ = resolved()
    too_long = "я" * (COMMENT_MAX_CHARS + 1)
    error = assert_error(rate(env, visitor, cid, 4, too_long), 422, "rating_comment_too_long")
    assert str(COMMENT_MAX_CHARS) in error["message"]
    assert stored(env, cid) == (None, None)
    assert rate(env, visitor, cid, 4, "   ").status_code == 200  # blank: no comment
    assert stored(env, cid) == (4, None)


def test_only_the_customer_rates_and_only_after_the_resolve(
    env: ChatEnv, resolved: Any, users: dict[str, str]
) -> None:
    cid, _, operator = resolved()
    for token in (operator, users["supervisor"], users["admin"]):
        assert_error(rate(env, token, cid, 5), 403, "customers_only")
    # an operator of another line or the back office does not see it at all
    for role in ("operator", "backoffice"):
        assert rate(env, users[role], cid, 5).status_code in (403, 404)
    # another visitor does not see the conversation at all
    assert_error(rate(env, users["visitor"], cid, 5), 404, "conversation_not_found")
    owner = env.visitor()
    open_one = int(env.conversation(owner)["id"])
    assert_error(rate(env, owner, open_one, 5), 409, "not_resolved")
    assert stored(env, cid) == (None, None)


def test_a_low_rating_opens_a_review_that_a_supervisor_closes(
    env: ChatEnv, resolved: Any, users: dict[str, str]
) -> None:
    cid, visitor, _ = resolved()
    assert rate(env, visitor, cid, 2, "Ждал ответа полчаса").status_code == 200
    review = review_of(env, users["supervisor"], cid)
    assert review is not None
    assert (review["rating"], review["comment"], review["status"]) == (
        2,
        "Ждал ответа полчаса",
        "open",
    )
    assert review["status_title"] == "Открыт"
    assert review["line"] == "general"

    done = env.post(users["supervisor"], f"{REVIEWS}/{review['id']}/done", {"note": "Разобрали"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["status_title"], body["note"]) == ("done", "Разобран", "Разобрали")
    assert body["reviewed_by"] is not None and body["reviewed_at"] is not None
    assert body["reviewed_by_name"]
    assert review_of(env, users["supervisor"], cid) is None  # no longer open
    assert review_of(env, users["admin"], cid, status="done") is not None
    # done again (an admin): the review as it is, the first note stays
    again = env.post(users["admin"], f"{REVIEWS}/{review['id']}/done", {"note": "Другое"})
    assert again.status_code == 200
    assert (again.json()["note"], again.json()["reviewed_by"]) == ("Разобрали", body["reviewed_by"])


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_good_rating_opens_no_review(env: ChatEnv, resolved: Any, rating: int) -> None:
    cid, visitor, _ = resolved()
    assert rate(env, visitor, cid, rating).status_code == 200

    async def work(session: Any) -> int:
        found = await session.scalars(
            select(RatingReview).where(RatingReview.conversation_id == cid)
        )
        return len(list(found))

    assert env.run(work) == 0


@pytest.mark.parametrize("who", ["operator", "backoffice", "customer", "visitor"])
def test_only_supervisors_and_admins_see_and_close_reviews(
    env: ChatEnv, resolved: Any, users: dict[str, str], who: str
) -> None:
    cid, visitor, _ = resolved()
    assert rate(env, visitor, cid, 1).status_code == 200
    review = review_of(env, users["supervisor"], cid)
    assert review is not None
    assert_error(reviews(env, users[who]), 403, "forbidden")
    assert_error(env.post(users[who], f"{REVIEWS}/{review['id']}/done"), 403, "forbidden")
    assert review_of(env, users["supervisor"], cid) is not None  # still open


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_list_reviews(env: ChatEnv, users: dict[str, str], who: str) -> None:
    response = reviews(env, users[who], status="all")
    assert response.status_code == 200
    assert isinstance(response.json()["reviews"], list)


def test_reviews_without_a_token_are_closed(env: ChatEnv) -> None:
    assert env.client.get(REVIEWS).status_code == 401
    assert env.client.post(f"{REVIEWS}/1/done").status_code == 401


def test_bad_review_requests(env: ChatEnv, resolved: Any, users: dict[str, str]) -> None:
    supervisor = users["supervisor"]
    assert_error(env.post(supervisor, f"{REVIEWS}/999999999/done"), 404, "rating_review_not_found")
    cid, visitor, _ = resolved()
    assert rate(env, visitor, cid, 1).status_code == 200
    review = review_of(env, supervisor, cid)
    assert review is not None
    note = "н" * (ratings.NOTE_MAX_CHARS + 1)
    path = f"{REVIEWS}/{review['id']}/done"
    assert_error(env.post(supervisor, path, {"note": note}), 422, "review_note_too_long")
    assert review_of(env, supervisor, cid) is not None
    assert reviews(env, supervisor, status="nonsense").status_code == 422


def test_one_reminder_to_rate_and_none_after_a_rating(env: ChatEnv, resolved: Any) -> None:
    waiting, visitor, _ = resolved()
    rated, rated_by, _ = resolved()
    assert rate(env, rated_by, rated, 5).status_code == 200
    delay = timedelta(hours=24)

    async def run_at(session: Any, shift: timedelta) -> list[int]:
        resolved_at = await session.scalar(
            select(Conversation.resolved_at).where(Conversation.id == waiting)
        )
        return await ratings.send_reminders(session, delay=delay, now=resolved_at + shift)

    # too early: nothing
    assert waiting not in env.run(lambda s: run_at(s, timedelta(hours=23)))
    sent = env.run(lambda s: run_at(s, timedelta(hours=25)))
    assert waiting in sent and rated not in sent
    # once only
    assert waiting not in env.run(lambda s: run_at(s, timedelta(hours=26)))

    texts = [m["text"] for m in env.messages(visitor, waiting)]
    assert texts.count(ratings.TEXT_RATING_REMINDER) == 1

    async def reminded(session: Any) -> set[int]:
        rows = await session.scalars(
            select(RatingReminder.conversation_id).where(
                RatingReminder.conversation_id.in_([waiting, rated])
            )
        )
        return set(rows)

    assert env.run(reminded) == {waiting}
    # the customer may still rate after the reminder
    assert rate(env, visitor, waiting, 4).status_code == 200

    async def reminder_extra(session: Any) -> list[Any]:
        rows = await session.scalars(
            select(Message.extra).where(
                Message.conversation_id == waiting, Message.text == ratings.TEXT_RATING_REMINDER
            )
        )
        return list(rows)

    assert env.run(reminder_extra) == [{"rating_request": "reminder"}]
