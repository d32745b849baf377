"""The return rule at every boundary (issue 11, item 6): the last day in term, the first day
out, the warranty, excluded goods."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketdesk.domain.returns import ReturnReason, ReturnTerms, add_months, decide_return

R = ReturnReason
SEED_TERMS = ReturnTerms(check_days=3, return_days=7, warranty_months=12)  # seed 000's card
RECEIVED = date(2026, 3, 1)


def day(n: int) -> date:
    return RECEIVED + timedelta(days=n)


@pytest.mark.parametrize(
    ("reason", "today", "accepted", "code", "last_day"),
    [
        # quality check of the goods and the delivery: 3 days
        (R.DEFECT, day(0), True, "accepted", day(3)),
        (R.DEFECT, day(3), True, "accepted", day(3)),  # the last day in term
        (R.DEFECT, day(4), False, "term_ended", day(3)),  # the first day out
        (R.NOT_AS_DESCRIBED, day(3), True, "accepted", day(3)),
        (R.NOT_AS_DESCRIBED, day(4), False, "term_ended", day(3)),
        # goods of proper quality: 7 days
        (R.PROPER_QUALITY, day(7), True, "accepted", day(7)),
        (R.PROPER_QUALITY, day(8), False, "term_ended", day(7)),
        # the warranty: a year
        (R.WARRANTY, date(2027, 3, 1), True, "accepted", date(2027, 3, 1)),
        (R.WARRANTY, date(2027, 3, 2), False, "term_ended", date(2027, 3, 1)),
    ],
)
def test_terms_at_their_boundaries(reason, today, accepted, code, last_day):
    decision = decide_return(reason, RECEIVED, today, SEED_TERMS)
    assert (decision.accepted, decision.code, decision.last_day) == (accepted, code, last_day)


def test_the_refusal_gives_the_date_the_term_ended():
    decision = decide_return(R.PROPER_QUALITY, RECEIVED, day(8), SEED_TERMS)
    assert decision.message_ru == "Срок возврата товара надлежащего качества закончился 08.03.2026."


def test_a_term_the_product_does_not_give_is_not_offered():
    no_warranty = ReturnTerms(check_days=3, return_days=7, warranty_months=None)
    decision = decide_return(R.WARRANTY, RECEIVED, day(1), no_warranty)
    assert (decision.accepted, decision.code) == (False, "no_term")


def test_not_received_yet():
    decision = decide_return(R.DEFECT, None, day(1), SEED_TERMS)
    assert (decision.accepted, decision.code) == (False, "not_received")


@pytest.mark.parametrize("reason", list(R))
def test_a_gift_certificate_is_never_returned(reason):
    certificate = ReturnTerms(None, None, None, gift_card=True, digital=True)
    decision = decide_return(reason, RECEIVED, day(0), certificate)
    assert (decision.accepted, decision.code) == (False, "certificate")
    assert "нельзя аннулировать" in decision.message_ru


def test_digital_goods_of_proper_quality_are_not_returned_but_a_defect_is():
    digital = ReturnTerms(check_days=3, return_days=7, warranty_months=None, digital=True)
    refused = decide_return(R.PROPER_QUALITY, RECEIVED, day(1), digital)
    assert (refused.accepted, refused.code) == (False, "digital_goods")
    assert decide_return(R.DEFECT, RECEIVED, day(1), digital).accepted


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # a shorter month: its last day
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a leap day, a year on
        (date(2026, 11, 15), 3, date(2027, 2, 15)),  # across a year
    ],
)
def test_calendar_months(start, months, end):
    assert add_months(start, months) == end
