"""«Оценка сервиса»: the customer's 1–5 rating of a resolved conversation, its optional
comment, and the review a low rating opens for the supervisors (seed 000 names the
notification type «Оценка сервиса»; the numbers below that the seeds do not give — the
comment's length — are the product's own limits, the low-rating threshold and the reminder
are settings)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "COMMENT_MAX_CHARS",
    "DEFAULT_LOW_RATING",
    "RATING_MAX",
    "RATING_MIN",
    "REVIEW_STATUS_TITLES_RU",
    "ReviewStatus",
    "is_low",
    "is_valid_rating",
]

RATING_MIN: Final = 1
RATING_MAX: Final = 5
COMMENT_MAX_CHARS: Final = 1000
"""The longest comment a customer may leave with a rating."""
DEFAULT_LOW_RATING: Final = 2
"""A rating at or below this opens a review (the default of ``MARKETDESK_RATING_LOW_THRESHOLD``)."""


class ReviewStatus(StrEnum):
    """A supervisor's review of a low rating: open until someone marks it done."""

    OPEN = "open"
    DONE = "done"


REVIEW_STATUS_TITLES_RU: Final = {ReviewStatus.OPEN: "Открыт", ReviewStatus.DONE: "Разобран"}


def is_valid_rating(rating: int) -> bool:
    return RATING_MIN <= rating <= RATING_MAX


def is_low(rating: int, threshold: int) -> bool:
    """A rating at or below ``threshold`` opens a review for the supervisors."""
    return rating <= threshold
