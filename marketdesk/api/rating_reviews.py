"""Reviews of low ratings («Оценка сервиса»): ``GET /api/v1/rating-reviews`` and
``POST /api/v1/rating-reviews/{id}/done`` (supervisors and admins)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from marketdesk.domain.ratings import ReviewStatus
from marketdesk.services import ratings
from marketdesk.services.ratings import RatingReviewView

from .deps import CurrentOperator, DbSession
from .types import BigId

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/rating-reviews", tags=["ratings"])


class ReviewList(BaseModel):
    reviews: list[RatingReviewView]


class ReviewDone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, description="что сделано, до 2000 символов")


@router.get("", response_model=ReviewList)
async def list_reviews(
    operator: CurrentOperator,
    session: DbSession,
    status: Annotated[Literal["open", "done", "all"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReviewList:
    """Low ratings to look into, newest first: open ones (default), done ones, or all."""
    wanted = None if status == "all" else ReviewStatus(status)
    reviews = await ratings.list_reviews(session, operator, status=wanted, limit=limit)
    return ReviewList(reviews=reviews)


@router.post("/{review_id}/done", response_model=RatingReviewView)
async def close_review(
    review_id: Annotated[BigId, Path(description="номер разбора")],
    operator: CurrentOperator,
    session: DbSession,
    body: ReviewDone | None = None,
) -> RatingReviewView:
    """«Разобрано», with an optional note. Again: the review as it is."""
    return await ratings.close_review(session, operator, review_id, body.note if body else None)
