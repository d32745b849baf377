"""Refusals of «Оценка сервиса»: the customer's rating and comment, the supervisors' reviews
of low ratings."""

from __future__ import annotations

from .base import Conflict, InvalidInput, NotFound

__all__ = ["AlreadyRated", "RatingCommentTooLong", "RatingReviewNotFound", "ReviewNoteTooLong"]


class RatingCommentTooLong(InvalidInput):
    code = "rating_comment_too_long"
    template = "Комментарий к оценке — не длиннее {limit} символов."


class AlreadyRated(Conflict):
    """A conversation is rated once; the same rating again is a retry and answered as such."""

    code = "already_rated"
    template = "Этот диалог уже оценён, спасибо."


class RatingReviewNotFound(NotFound):
    code = "rating_review_not_found"
    template = "Разбор оценки {review_id} не найден."


class ReviewNoteTooLong(InvalidInput):
    code = "review_note_too_long"
    template = "Заметка к разбору — не длиннее {limit} символов."
