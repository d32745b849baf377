"""Service-level clocks: business-time arithmetic and the policy, worked out by hand.

The calendar is the default one (seeds 001–002): Monday to Friday, 09:00–18:00 Moscow time
(UTC+3). 2026-12-04 is a Friday, 2026-12-07 the Monday after it."""

from datetime import UTC, datetime, timedelta

import pytest

from marketdesk.domain.sla import (
    DEFAULT_SLA_POLICY,
    ClockSet,
    SlaKind,
    SlaState,
    SlaTarget,
    parse_policy,
)
from marketdesk.domain.tasks import MOSCOW_BUSINESS_HOURS as BH
from marketdesk.domain.tasks import MOSCOW_TZ


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=MOSCOW_TZ)


def test_elapsed_across_a_weekend() -> None:
    # Friday 17:00 → Monday 10:30: one hour on Friday, 1 h 30 on Monday; the weekend is free
    assert BH.elapsed(msk(4, 17), msk(7, 10, 30)) == timedelta(hours=2, minutes=30)


def test_elapsed_outside_hours_and_backwards() -> None:
    assert BH.elapsed(msk(4, 19), msk(7, 8, 59)) == timedelta(0)  # Friday evening → Monday dawn
    assert BH.elapsed(msk(7, 12), msk(7, 11)) == timedelta(0)
    # a whole working week: five days of nine hours
    assert BH.elapsed(msk(7, 0), msk(12, 0)) == timedelta(hours=45)


def test_elapsed_in_utc_is_the_same() -> None:
    start = msk(4, 17).astimezone(UTC)  # 14:00 UTC
    assert BH.elapsed(start, msk(7, 10, 30)) == timedelta(hours=2, minutes=30)


def test_subtract_is_the_inverse_of_add() -> None:
    # Monday 10:00 minus 3 h of working time: 1 h on Monday, 2 h on Friday → Friday 16:00
    assert BH.subtract(msk(7, 10), timedelta(hours=3)) == msk(4, 16)
    assert BH.add(msk(4, 16), timedelta(hours=3)) == msk(7, 10)


def test_first_response_by_email_across_a_weekend() -> None:
    """An e-mail handed over on Friday at 16:00: one working day (9 h) is due on Monday at
    16:00 (2 h on Friday, 7 h on Monday); at Monday 14:00 it has 2 h left (≤ a quarter of
    9 h: at risk), at Monday 16:01 it is breached."""
    policy = DEFAULT_SLA_POLICY
    targets = policy.targets("general", "email")
    target = targets.first_response
    assert target == SlaTarget(timedelta(hours=9), business_hours=True)
    due = policy.due(target, msk(4, 16))
    assert due == msk(7, 16)
    assert policy.left(target, due, msk(4, 17)) == timedelta(hours=8)  # Friday 17:00
    assert policy.state(target, due, msk(4, 17)) is SlaState.OK
    assert policy.left(target, due, msk(7, 14)) == timedelta(hours=2)
    assert policy.state(target, due, msk(7, 14)) is SlaState.AT_RISK
    assert policy.state(target, due, msk(7, 16)) is SlaState.AT_RISK  # exactly at due: not yet
    assert policy.state(target, due, msk(7, 16, 1)) is SlaState.BREACHED
    # at risk from 2 h 15 min of working time before the due time: Monday 13:45
    assert policy.warning_at(target, due) == msk(7, 13, 45)


def test_round_the_clock_web_chat() -> None:
    policy = DEFAULT_SLA_POLICY
    target = policy.targets("general", "web").first_response
    assert target == SlaTarget(timedelta(minutes=3))
    due = policy.due(target, msk(5, 23))  # Saturday night counts
    assert due == msk(5, 23, 3)
    # a quarter of 3 min is 45 s: at 23:02 one minute is left (ok), at risk from 23:02:15
    assert policy.state(target, due, msk(5, 23, 2)) is SlaState.OK
    assert policy.warning_at(target, due) == msk(5, 23, 2) + timedelta(seconds=15)
    assert policy.state(target, due, msk(5, 23, 2) + timedelta(seconds=15)) is SlaState.AT_RISK


def test_travel_is_tighter_and_email_slower() -> None:
    policy = DEFAULT_SLA_POLICY
    general, travel = policy.targets("general"), policy.targets("travel_priority")
    email = policy.targets("general", "email")
    for kind in SlaKind:
        assert travel.of(kind).duration < general.of(kind).duration
        assert email.of(kind).business_hours
    assert email.first_response.duration > general.first_response.duration


def test_lookup_order_pair_channel_line_default() -> None:
    policy = parse_policy(
        {
            "default": {"next_response": {"minutes": 20}},
            "lines": {"seller": {"first_response": {"minutes": 40}}},
            "channels": {"telegram": {"first_response": {"minutes": 7}}},
            "pairs": {"seller/telegram": {"resolution": {"minutes": 600, "business_hours": True}}},
        }
    )
    pair = policy.targets("seller", "telegram")
    assert pair.resolution == SlaTarget(timedelta(hours=10), business_hours=True)  # the pair
    assert pair.first_response.duration == timedelta(minutes=7)  # the channel before the line
    assert policy.targets("seller", "web").first_response.duration == timedelta(minutes=40)
    assert policy.targets("general", "web").next_response.duration == timedelta(minutes=20)
    # the defaults it did not name stay: e-mail is still in working time
    assert policy.targets("general", "email").first_response.business_hours


@pytest.mark.parametrize(
    "raw",
    [
        {"defaults": {}},
        {"default": {"first_response": {"minutes": 0}}},
        {"default": {"first_reply": {"minutes": 5}}},
        {"lines": {"vip": {"first_response": {"minutes": 5}}}},
        {"channels": {"email": {"resolution": {"minutes": 5, "business_hours": "yes"}}}},
        {"pairs": {"general/fax": {}}},
        {"default": {"resolution": 5}},
    ],
)
def test_bad_policies_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        parse_policy(raw)


def test_clock_set_worst_and_overdue() -> None:
    policy = DEFAULT_SLA_POLICY
    targets = policy.targets("general")
    now = msk(7, 12)
    clocks = ClockSet.of(
        policy,
        targets,
        {
            SlaKind.FIRST_RESPONSE: None,
            SlaKind.NEXT_RESPONSE: now + timedelta(minutes=1),  # 1 of 10 min left: at risk
            SlaKind.RESOLUTION: now + timedelta(hours=20),
        },
        now,
    )
    worst = clocks.worst
    assert worst is not None
    assert (worst.kind, worst.state) == (SlaKind.NEXT_RESPONSE, SlaState.AT_RISK)
    assert not clocks.overdue
    late = ClockSet.of(policy, targets, {SlaKind.RESOLUTION: now - timedelta(seconds=1)}, now)
    assert late.overdue
    assert ClockSet.of(policy, targets, {}, now).worst is None
