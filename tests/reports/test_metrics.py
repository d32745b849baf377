"""The metrics' definitions (domain/reports.py) on small handmade histories; every expected
number is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketdesk.domain.reports import (
    DURATION_BUCKETS,
    ConversationFacts,
    Tally,
    bucket_of,
    business_seconds,
    containment,
    histogram_percentile,
    percentile,
    tally,
)
from marketdesk.domain.tasks import MOSCOW_BUSINESS_HOURS, MOSCOW_TZ


def msk(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MOSCOW_TZ)


def test_first_response_in_business_hours_across_a_weekend():
    # handed over on Friday 27 November at 17:30 MSK, answered on Monday 30 at 09:45:
    # Friday 17:30–18:00 = 30 min, the weekend does not count, Monday 09:00–09:45 = 45 min
    queued, answered = msk(27, 17, 30), msk(30, 9, 45)
    assert queued.weekday() == 4 and answered.weekday() == 0
    assert business_seconds(queued, answered, MOSCOW_BUSINESS_HOURS) == 75 * 60
    # around the clock: 2 days 16 h 15 min = 231 300 s
    assert business_seconds(queued, answered, None) == 2 * 86400 + 16 * 3600 + 15 * 60


def test_business_seconds_outside_hours_and_in_utc():
    # asked Saturday 10:00, answered Sunday 20:00: nothing of it is working time
    assert business_seconds(msk(28, 10), msk(29, 20), MOSCOW_BUSINESS_HOURS) == 0
    # Tuesday 08:00 to 19:00 MSK given in UTC: the working day, 9 h
    start = msk(24, 8).astimezone(UTC)
    end = msk(24, 19).astimezone(UTC)
    assert business_seconds(start, end, MOSCOW_BUSINESS_HOURS) == 9 * 3600
    # an end before its start counts nothing
    assert business_seconds(msk(24, 12), msk(24, 11), None) == 0


def test_median_and_90th_percentile():
    values = [600, 60, 240, 180, 120]
    # sorted 60 120 180 240 600: the median is the middle one
    assert percentile(values, 0.5) == 180
    # rank 0.9 * 4 = 3.6: 240 + 0.6 * (600 - 240) = 456
    assert percentile(values, 0.9) == pytest.approx(456)
    # an even count: halfway between 120 and 180
    assert percentile([60, 120, 180, 240], 0.5) == 150
    assert percentile([], 0.5) is None


def test_percentiles_from_the_histogram():
    counts = [0] * (len(DURATION_BUCKETS) + 1)
    for seconds in (120, 600, 4500):
        counts[bucket_of(seconds)] += 1
    # buckets [120, 180), [600, 900), [3600, 5400): each value taken at its bucket's middle,
    # 150, 750 and 4500
    assert bucket_of(120) == DURATION_BUCKETS.index(180)
    assert histogram_percentile(counts, 0.5) == 750
    # rank 1.8: 750 + 0.8 * (4500 - 750) = 3750 (exact: 600 + 0.8 * 3900 = 3720)
    assert histogram_percentile(counts, 0.9) == pytest.approx(3750)
    # three values in one bucket [60, 90): at 65, 75 and 85
    three = [0] * (len(DURATION_BUCKETS) + 1)
    three[bucket_of(70)] = 3
    assert histogram_percentile(three, 0.5) == 75
    assert histogram_percentile([0] * 3, 0.5) is None


def _facts(**overrides):
    values = dict(
        created_at=msk(23, 10),
        queued_at=None,
        first_response_at=None,
        resolved_at=None,
        rating=None,
        breached=False,
        hours=None,
    )
    values.update(overrides)
    return ConversationFacts.of(**values)


def test_sla_attainment_and_containment():
    handed = dict(queued_at=msk(23, 10, 1))
    history = [
        _facts(**handed),  # handed, no breach
        _facts(**handed),  # handed, no breach
        _facts(**handed, breached=True),  # handed, a clock ran out
        _facts(**handed),  # handed, no breach
        _facts(resolved_at=msk(23, 10, 2)),  # the bot solved it
        _facts(breached=True),  # never handed: a breach row cannot make it count as handed
    ]
    total = tally(history)
    assert (total.conversations, total.handed, total.breached) == (6, 4, 1)
    # of 4 handed, 3 without a breach: 3/4
    assert total.sla_attainment == 0.75
    # 2 of 6 never reached a person: 0.3333
    assert total.bot_containment == 0.3333
    assert total.handoff_rate == 0.6667
    assert containment(0, 0) is None
    assert Tally().sla_attainment is None


def test_a_conversation_s_facts_in_its_line_s_clock():
    facts = _facts(
        created_at=msk(27, 17, 20),
        queued_at=msk(27, 17, 30),
        first_response_at=msk(30, 9, 45),
        resolved_at=msk(30, 10, 45),
        rating=4,
        hours=MOSCOW_BUSINESS_HOURS,
    )
    assert (facts.day, facts.hour) == (msk(27, 0).date(), 17)
    assert facts.first_response_s == 4500  # 30 + 45 min of working time
    assert facts.resolution_s == 4500 + 3600  # and the hour until it was resolved
    assert facts.handle_s == 3600  # first reply to resolution, wall clock
    # a Moscow day starts at 21:00 UTC the day before
    late = _facts(created_at=datetime(2026, 11, 23, 21, 30, tzinfo=UTC))
    assert (late.day.day, late.hour) == (24, 0)


def test_rating_average_and_merging_tallies():
    first = tally([_facts(rating=5), _facts(rating=4)])
    second = tally([_facts(rating=1), _facts()])
    first.merge(second)
    # (5 + 4 + 1) / 3 = 3.33; the unrated one counts as a conversation only
    assert first.rating_average == 3.33
    assert (first.conversations, first.rated, first.ratings) == (4, 3, [1, 0, 0, 1, 1])


def test_open_bucket_and_bad_quantiles():
    counts = [0] * (len(DURATION_BUCKETS) + 1)
    counts[bucket_of(timedelta(days=9).total_seconds())] = 1
    assert histogram_percentile(counts, 0.5) == DURATION_BUCKETS[-1]
    with pytest.raises(ValueError):
        percentile([1], 1.5)
