"""«Оценка сервиса» (issue 15): the review a low rating opens for the supervisors, their list
and «разобрано», and the one reminder to a customer who has not rated.

The rating itself is the chat's (``services.chat.lifecycle.rate``: once, with an optional
comment); it calls :func:`open_review` in its own transaction. The ask is the system note
the transcript gets when a conversation is resolved (``chat.texts.TEXT_RESOLVED``), in the
channel the customer used; the widget shows its stars under it. The reminder
(:func:`send_reminders`, run by ``workers/ratings.py``) is one more system note in the
conversation, at most once (``rating_reminders``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.conversations import ConversationStatus as S
from marketdesk.domain.lines import LINE_TITLES_RU, Line
from marketdesk.domain.ratings import REVIEW_STATUS_TITLES_RU, ReviewStatus
from marketdesk.domain.roles import Role
from marketdesk.store.models import Conversation, Operator, RatingReminder, RatingReview, utcnow

from .errors import RatingReviewNotFound, ReviewNoteTooLong
from .principals import Principal

__all__ = [
    "NOTE_MAX_CHARS",
    "REMINDER_WINDOW",
    "TEXT_RATING_REMINDER",
    "RatingReviewView",
    "close_review",
    "list_reviews",
    "open_review",
    "send_reminders",
]

NOTE_MAX_CHARS = 2000
TEXT_RATING_REMINDER = (
    "Напоминаем: оцените, пожалуйста, как мы помогли вам — от 1 до 5. "
    "Это займёт пару секунд и поможет нам работать лучше."
)
REMINDER_WINDOW = timedelta(days=7)
"""Conversations resolved longer ago than the delay plus this are not reminded any more
(a server that was down for a week does not send a wave of old reminders)."""


class RatingReviewView(BaseModel):
    id: int
    conversation_id: int
    line: str
    line_title: str
    rating: int
    comment: str | None
    status: str
    status_title: str
    created_at: datetime
    reviewed_by: int | None
    reviewed_by_name: str | None
    reviewed_at: datetime | None
    note: str | None


async def open_review(session: AsyncSession, conversation: Conversation) -> RatingReview:
    """A low rating of ``conversation`` (just set, under its row lock) to be looked into;
    added to the caller's transaction."""
    assert conversation.rating is not None
    review = RatingReview(
        conversation_id=conversation.id,
        rating=conversation.rating,
        comment=conversation.rating_comment,
        status=ReviewStatus.OPEN.value,
        created_at=utcnow(),
    )
    session.add(review)
    await session.flush()
    return review


def _view(review: RatingReview, line: str, reviewer: str | None) -> RatingReviewView:
    status = ReviewStatus(review.status)
    return RatingReviewView(
        id=review.id,
        conversation_id=review.conversation_id,
        line=line,
        line_title=LINE_TITLES_RU.get(Line(line), line),
        rating=review.rating,
        comment=review.comment,
        status=status.value,
        status_title=REVIEW_STATUS_TITLES_RU[status],
        created_at=review.created_at,
        reviewed_by=review.reviewed_by,
        reviewed_by_name=reviewer,
        reviewed_at=review.reviewed_at,
        note=review.note,
    )


async def list_reviews(
    session: AsyncSession,
    principal: Principal,
    *,
    status: ReviewStatus | None = ReviewStatus.OPEN,
    limit: int = 50,
) -> list[RatingReviewView]:
    """Reviews of low ratings for supervisors and admins, newest first (``status`` None:
    all). One indexed query (``ix_rating_reviews_status``)."""
    principal.require_operator(Role.SUPERVISOR)
    query = (
        select(RatingReview, Conversation.line, Operator.full_name)
        .join(Conversation, Conversation.id == RatingReview.conversation_id)
        .outerjoin(Operator, Operator.id == RatingReview.reviewed_by)
        .order_by(RatingReview.created_at.desc(), RatingReview.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(RatingReview.status == status.value)
    rows = (await session.execute(query)).all()
    return [_view(review, line, name) for review, line, name in rows]


async def close_review(
    session: AsyncSession, principal: Principal, review_id: int, note: str | None = None
) -> RatingReviewView:
    """«Разобрано»: a supervisor marks a review done, with an optional note. Done again:
    the review as it is (the first supervisor's note stays)."""
    principal.require_operator(Role.SUPERVISOR)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise ReviewNoteTooLong(limit=NOTE_MAX_CHARS, fields=["note"])
    review = await session.scalar(
        select(RatingReview).where(RatingReview.id == review_id).with_for_update()
    )
    if review is None:
        await session.rollback()
        raise RatingReviewNotFound(review_id=review_id)
    if review.status == ReviewStatus.OPEN.value:
        review.status = ReviewStatus.DONE.value
        review.reviewed_by = int(principal.id)
        review.reviewed_at = utcnow()
        review.note = note
        await session.flush()
    line = await session.scalar(
        select(Conversation.line).where(Conversation.id == review.conversation_id)
    )
    reviewer = (
        await session.scalar(select(Operator.full_name).where(Operator.id == review.reviewed_by))
        if review.reviewed_by is not None
        else None
    )
    view = _view(review, str(line), reviewer)
    await session.commit()
    return view


async def _survey(session: AsyncSession, conversation: Conversation) -> None:
    """«Оценка сервиса» as a notification too (the customer may have left the chat): in the
    reminder's transaction, once per conversation (its idempotency key)."""
    from marketdesk.services import notifications

    if conversation.customer_id is None:
        return
    await notifications.notify(
        session,
        event="service_rating_survey",
        data={
            "ticket": conversation.ticket_number or f"№{conversation.id}",
            "url": notifications.NotifyPolicy.from_settings().public_url + "/",
        },
        idempotency_key=f"service-rating:{conversation.id}",
        customer_id=conversation.customer_id,
    )


async def send_reminders(
    session: AsyncSession, *, delay: timedelta, now: datetime | None = None, limit: int = 200
) -> list[int]:
    """One reminder to rate, in each resolved (or closed) conversation that has not been
    rated ``delay`` after its resolve and was not reminded yet: a system note in the
    transcript (the customer's channel delivers it), published after the commit, and a
    customer's «Оценка сервиса» notification (their channels for it). Several
    processes may run this at once: the reminder's row (its primary key) lets one of them
    send it, the other's transaction fails and sends nothing. → the conversations reminded."""
    # the chat imports this module (open_review): import it here, once both are loaded
    from marketdesk.services.chat.events import changes_for
    from marketdesk.services.chat.transcript import append

    now = now or utcnow()
    due = list(
        await session.scalars(
            select(Conversation.id)
            .where(
                Conversation.status.in_((S.RESOLVED.value, S.CLOSED.value)),
                Conversation.rating.is_(None),
                Conversation.resolved_at.is_not(None),
                Conversation.resolved_at <= now - delay,
                Conversation.resolved_at > now - delay - REMINDER_WINDOW,
                ~exists().where(RatingReminder.conversation_id == Conversation.id),
            )
            .order_by(Conversation.id)
            .limit(limit)
        )
    )
    sent: list[int] = []
    for conversation_id in due:
        # the row lock and its state now (a rating or a reopen may have come meanwhile)
        state = (
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(updated_at=now)
                .returning(Conversation.status, Conversation.rating)
                .execution_options(synchronize_session=False)
            )
        ).one_or_none()
        already = await session.scalar(
            select(RatingReminder.conversation_id).where(
                RatingReminder.conversation_id == conversation_id
            )
        )
        if (
            state is None
            or state.rating is not None
            or state.status not in (S.RESOLVED.value, S.CLOSED.value)
            or already is not None
        ):
            await session.rollback()
            continue
        conversation = await session.get(Conversation, conversation_id, populate_existing=True)
        assert conversation is not None
        session.add(RatingReminder(conversation_id=conversation_id, sent_at=now))
        extra: dict[str, Any] = {"rating_request": "reminder"}
        await append(
            session,
            changes_for(session),
            conversation,
            sender_kind="system",
            text=TEXT_RATING_REMINDER,
            extra=extra,
        )
        await _survey(session, conversation)
        await session.commit()
        sent.append(conversation_id)
    return sent
