"""What the supervisors' reports count: the definitions of every metric, pure.

The definitions (the reports and their CSV/XLSX downloads use exactly these):

- **conversations**: conversations *created* in the period (Moscow days, both ends included).
- **handed**: of them, those handed to a person (``queued_at`` set); **contained** by the bot:
  the others. ``bot_containment = contained / conversations``; ``handoff_rate = handed /
  conversations`` (per topic: which knowledge-base articles need work).
- **first response**: from the handoff (``queued_at``) to the first public reply of a person
  (``first_response_at``), counted in the line's clock: business hours where the line works
  in business hours (``Settings.reports_business_hours_lines``), around the clock otherwise.
- **resolution**: from the handoff to ``resolved_at``, in the same clock (``SlaKind.RESOLUTION``).
- **handle time**: from the operator's first reply to ``resolved_at``, wall clock: the time a
  person had the case in hand.
- **SLA attainment**: of the handed conversations, the share with no row in ``sla_breaches``
  (none of the three clocks ran out). A conversation still open counts as attained until a
  clock runs out. ``None`` when nothing was handed.
- **rating average**: the mean of the 1–5 ratings of the period's conversations.
- **median and 90th percentile**: exact (linear interpolation between closest ranks, as
  ``numpy.percentile``'s default) over a list; over a year the reports keep a histogram per
  group (``DURATION_BUCKETS``), take the values of a bucket as spread evenly over it and
  interpolate between ranks as above, so a figure is off by at most the width of the buckets
  it falls in (``histogram_percentile``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from ._time import require_aware
from .tasks import MOSCOW_TZ, BusinessHours

__all__ = [
    "DURATION_BUCKETS",
    "ConversationFacts",
    "Tally",
    "bucket_of",
    "business_seconds",
    "containment",
    "day_bounds",
    "histogram_percentile",
    "percentile",
    "share",
    "tally",
]

DURATION_BUCKETS: Final[tuple[int, ...]] = (
    15, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600,
    5400, 7200, 10_800, 14_400, 21_600, 28_800, 43_200, 86_400, 172_800, 345_600, 604_800,
)  # fmt: skip
"""Upper edges (seconds, exclusive) of the duration histogram; bucket ``i`` holds
``[DURATION_BUCKETS[i-1], DURATION_BUCKETS[i])`` (bucket 0 starts at 0); the last bucket,
``len(DURATION_BUCKETS)``, holds a week and more."""


def business_seconds(start: datetime, end: datetime, hours: BusinessHours | None) -> float:
    """Seconds from ``start`` to ``end`` that count: every second when ``hours`` is None
    (around the clock), otherwise only those inside working hours. Zero when ``end`` is not
    after ``start``."""
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds()
    return hours.elapsed(start, end).total_seconds()


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) of ``values`` by linear interpolation between closest ranks;
    None for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be within 0..1")
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lower = int(pos)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (pos - lower)


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration (see ``DURATION_BUCKETS``)."""
    return bisect_right(DURATION_BUCKETS, seconds)


def _bucket_estimate(counts: Sequence[int], rank: int) -> float:
    """Where the value of integer ``rank`` (0-based) lies: its bucket's values are taken as
    spread evenly, each in the middle of its share of the bucket; in the open last bucket,
    its lower edge."""
    seen = 0
    for index, count in enumerate(counts):
        if count and rank < seen + count:
            lower = float(DURATION_BUCKETS[index - 1]) if index else 0.0
            if index >= len(DURATION_BUCKETS):
                return lower
            upper = float(DURATION_BUCKETS[index])
            return lower + (upper - lower) * (rank - seen + 0.5) / count
        seen += count
    return float(DURATION_BUCKETS[-1])


def histogram_percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q``-quantile estimated from bucket counts (index = bucket, see
    ``DURATION_BUCKETS``): as ``percentile``, between the estimates of the two closest ranks
    (``_bucket_estimate``). None for an empty histogram."""
    if not 0 <= q <= 1:
        raise ValueError("q must be within 0..1")
    n = sum(counts)
    if n == 0:
        return None
    rank = q * (n - 1)
    lower = int(rank)
    upper = min(lower + 1, n - 1)
    low = _bucket_estimate(counts, lower)
    high = _bucket_estimate(counts, upper)
    return low + (high - low) * (rank - lower)


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to four places; None when ``whole`` is zero."""
    return round(part / whole, 4) if whole else None


def containment(conversations: int, handed: int) -> float | None:
    """Bot containment: the share of conversations never handed to a person."""
    return share(conversations - handed, conversations)


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    """What the reports keep of one conversation (see the module's definitions)."""

    day: date  # the Moscow date it was created
    hour: int  # the Moscow hour it was created, 0..23
    handed: bool
    breached: bool
    resolved: bool
    first_response_s: float | None
    resolution_s: float | None
    handle_s: float | None
    rating: int | None

    @classmethod
    def of(
        cls,
        *,
        created_at: datetime,
        queued_at: datetime | None,
        first_response_at: datetime | None,
        resolved_at: datetime | None,
        rating: int | None,
        breached: bool,
        hours: BusinessHours | None,
    ) -> ConversationFacts:
        """The facts of a conversation; ``hours`` is its line's clock (None: around the
        clock). Days and hours are Moscow's (``domain.tasks.MOSCOW_TZ``)."""
        local = require_aware(created_at, "created_at").astimezone(MOSCOW_TZ)
        first = None
        resolution = None
        handle = None
        if queued_at is not None and first_response_at is not None:
            first = business_seconds(queued_at, first_response_at, hours)
        if queued_at is not None and resolved_at is not None:
            resolution = business_seconds(queued_at, resolved_at, hours)
            if first_response_at is not None:
                handle = max(0.0, (resolved_at - first_response_at).total_seconds())
        return cls(
            day=local.date(),
            hour=local.hour,
            handed=queued_at is not None,
            breached=queued_at is not None and breached,
            resolved=resolved_at is not None,
            first_response_s=first,
            resolution_s=resolution,
            handle_s=handle,
            rating=rating,
        )


def _trimmed(counts: list[int]) -> list[int]:
    """The counts without their trailing zeros."""
    end = len(counts)
    while end and not counts[end - 1]:
        end -= 1
    return counts[:end]


def _histogram() -> list[int]:
    return [0] * (len(DURATION_BUCKETS) + 1)


@dataclass(slots=True)
class Tally:
    """The sums of a group of conversations, from which every figure is derived. Fed one
    conversation at a time (``add``) or by partial sums from the database (``merge``)."""

    conversations: int = 0
    handed: int = 0
    breached: int = 0
    resolved: int = 0
    first_response_sum: float = 0.0
    first_response_hist: list[int] = field(default_factory=_histogram)
    resolution_sum: float = 0.0
    resolution_hist: list[int] = field(default_factory=_histogram)
    handle_sum: float = 0.0
    handle_count: int = 0
    ratings: list[int] = field(default_factory=lambda: [0] * 5)  # counts of 1..5

    def add(self, facts: ConversationFacts) -> None:
        self.conversations += 1
        self.handed += facts.handed
        self.breached += facts.breached
        self.resolved += facts.resolved
        if facts.first_response_s is not None:
            self.first_response_sum += facts.first_response_s
            self.first_response_hist[bucket_of(facts.first_response_s)] += 1
        if facts.resolution_s is not None:
            self.resolution_sum += facts.resolution_s
            self.resolution_hist[bucket_of(facts.resolution_s)] += 1
        if facts.handle_s is not None:
            self.handle_sum += facts.handle_s
            self.handle_count += 1
        if facts.rating is not None and 1 <= facts.rating <= 5:
            self.ratings[facts.rating - 1] += 1

    def merge(self, other: Tally) -> None:
        for name in ("conversations", "handed", "breached", "resolved", "handle_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.first_response_sum += other.first_response_sum
        self.resolution_sum += other.resolution_sum
        self.handle_sum += other.handle_sum
        for mine, theirs in (
            (self.first_response_hist, other.first_response_hist),
            (self.resolution_hist, other.resolution_hist),
            (self.ratings, other.ratings),
        ):
            for i, value in enumerate(theirs):
                mine[i] += value

    def to_json(self) -> list[Any]:
        """A compact form to store (``from_json`` reads it back)."""
        return [
            [self.conversations, self.handed, self.breached, self.resolved, self.handle_count],
            [self.first_response_sum, self.resolution_sum, self.handle_sum],
            _trimmed(self.first_response_hist),
            _trimmed(self.resolution_hist),
            self.ratings,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Tally:
        counts, sums, first, resolution, ratings = data
        tally = cls(
            conversations=counts[0],
            handed=counts[1],
            breached=counts[2],
            resolved=counts[3],
            handle_count=counts[4],
            first_response_sum=sums[0],
            resolution_sum=sums[1],
            handle_sum=sums[2],
            ratings=list(ratings),
        )
        tally.first_response_hist[: len(first)] = first
        tally.resolution_hist[: len(resolution)] = resolution
        return tally

    @property
    def contained(self) -> int:
        return self.conversations - self.handed

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def rating_average(self) -> float | None:
        rated = self.rated
        if not rated:
            return None
        return round(sum((i + 1) * n for i, n in enumerate(self.ratings)) / rated, 2)

    @property
    def sla_attainment(self) -> float | None:
        return share(self.handed - self.breached, self.handed)

    @property
    def bot_containment(self) -> float | None:
        return containment(self.conversations, self.handed)

    @property
    def handoff_rate(self) -> float | None:
        return share(self.handed, self.conversations)

    def first_response(self, q: float) -> float | None:
        value = histogram_percentile(self.first_response_hist, q)
        return None if value is None else round(value)

    def resolution(self, q: float) -> float | None:
        value = histogram_percentile(self.resolution_hist, q)
        return None if value is None else round(value)

    @property
    def handle_average(self) -> float | None:
        return round(self.handle_sum / self.handle_count) if self.handle_count else None


def tally(facts: Iterable[ConversationFacts]) -> Tally:
    """One tally of many conversations."""
    result = Tally()
    for item in facts:
        result.add(item)
    return result


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants that start the Moscow day ``first`` and end ``last`` (exclusive)."""
    return (
        datetime.combine(first, time(0, 0), tzinfo=MOSCOW_TZ),
        datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=MOSCOW_TZ),
    )
