"""Service levels of a conversation: the clocks a supervisor watches, their targets and due
times, and the state of a conversation's clocks at a given instant.

Seed 002 promises an order of answers, not a contract: the bot at once, then a person; the
Travel line «приоритетная»; e-mail «более подробные, но медленные ответы». It reports what
customers see, too: in the chat «Обычно вам напишут в течение 1-3 минут»; sellers' chat
«первый ответ приходит в течение получаса»; by e-mail «первого ответа можно ждать до
нескольких рабочих дней». The targets below are configuration defaults (``DEFAULT_*``, the
setting ``MARKETDESK_SLA_POLICY`` overrides them), not marketplace rules.

The clocks (all null while not running):

* **first response** starts when the conversation is handed to a person (queued) and stops
  at the first public reply of an operator;
* **next response** starts when the customer writes while a person holds or awaits the
  conversation and no other response clock runs, and stops at the operator's next public
  reply;
* **resolution** starts at the handoff and stops when the conversation is resolved or
  closed; a reopened conversation starts it again (and its next-response clock);
* **escalation** (not an :class:`SlaKind`, nothing is recorded as its breach): the
  supervisors' deadline once the customer escalated an overdue conversation.

A target counts either around the clock or in business hours
(:class:`marketdesk.domain.tasks.BusinessHours`; Moscow 09:00–18:00 on working days by
default). Lookup of a kind's target for a conversation, most specific first: the
line-and-channel pair (``"seller/email"``), the channel, the line, the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from marketdesk.domain._time import require_aware
from marketdesk.domain.channels import Channel
from marketdesk.domain.lines import Line
from marketdesk.domain.tasks import MOSCOW_BUSINESS_HOURS, BusinessHours

__all__ = [
    "DEFAULT_SLA_POLICY",
    "DEFAULT_WARNING_SHARE",
    "SLA_KIND_TITLES_RU",
    "SLA_STATE_TITLES_RU",
    "Clock",
    "ClockSet",
    "SlaKind",
    "SlaPolicy",
    "SlaState",
    "SlaTarget",
    "SlaTargets",
    "parse_policy",
]


class SlaKind(StrEnum):
    """One clock of a conversation's service level."""

    FIRST_RESPONSE = "first_response"  # from the handoff to a person to the first reply
    NEXT_RESPONSE = "next_response"  # from a customer's message to the operator's next reply
    RESOLUTION = "resolution"  # from the handoff to the conversation resolved

    @property
    def title_ru(self) -> str:
        """Russian display name."""
        return SLA_KIND_TITLES_RU[self]


SLA_KIND_TITLES_RU: Final = MappingProxyType(
    {
        SlaKind.FIRST_RESPONSE: "Первый ответ",
        SlaKind.NEXT_RESPONSE: "Следующий ответ",
        SlaKind.RESOLUTION: "Решение",
    }
)


class SlaState(StrEnum):
    """Where a conversation's most urgent running clock stands."""

    OK = "ok"
    AT_RISK = "at_risk"  # within the warning window before its due time
    BREACHED = "breached"  # past its due time

    @property
    def title_ru(self) -> str:
        return SLA_STATE_TITLES_RU[self]


SLA_STATE_TITLES_RU: Final = MappingProxyType(
    {SlaState.OK: "В срок", SlaState.AT_RISK: "Срок истекает", SlaState.BREACHED: "Просрочено"}
)


# --- targets ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """How long a clock may run: ``duration`` of elapsed time, or of working time when
    ``business_hours``."""

    duration: timedelta
    business_hours: bool = False

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("an SLA target must be positive")


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """The targets of one line and channel."""

    first_response: SlaTarget
    next_response: SlaTarget
    resolution: SlaTarget
    escalation: SlaTarget

    def of(self, kind: SlaKind | str) -> SlaTarget:
        """The target of a clock by name (``escalation`` included)."""
        if kind not in _TARGET_NAMES:
            raise KeyError(kind)
        target: SlaTarget = getattr(self, kind)
        return target


_TARGET_NAMES: Final = ("first_response", "next_response", "resolution", "escalation")
Overrides = Mapping[str, SlaTarget]
"""Some of a line's or channel's targets, by name (``first_response`` … ``escalation``)."""

DEFAULT_WARNING_SHARE: Final = 0.25
"""A clock is at risk when a quarter of its target or less is left (configuration)."""


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets per line and channel, the business-hours calendar, the warning window."""

    default: SlaTargets
    lines: Mapping[str, Overrides] = field(default_factory=dict)
    channels: Mapping[str, Overrides] = field(default_factory=dict)
    pairs: Mapping[str, Overrides] = field(default_factory=dict)  # "line/channel"
    calendar: BusinessHours = MOSCOW_BUSINESS_HOURS
    warning_share: float = DEFAULT_WARNING_SHARE

    def __post_init__(self) -> None:
        if not 0 <= self.warning_share < 1:
            raise ValueError("warning_share must be in [0, 1)")

    def targets(self, line: str, channel: str = Channel.WEB) -> SlaTargets:
        """The targets of a conversation on ``line`` coming through ``channel``."""
        found: dict[str, SlaTarget] = {}
        for name in _TARGET_NAMES:
            for overrides in (
                self.pairs.get(f"{line}/{channel}"),
                self.channels.get(str(channel)),
                self.lines.get(str(line)),
            ):
                if overrides is not None and name in overrides:
                    found[name] = overrides[name]
                    break
        return replace(self.default, **found)

    def due(self, target: SlaTarget, start: datetime) -> datetime:
        """When a clock started at ``start`` with ``target`` runs out."""
        require_aware(start, "start")
        if target.business_hours:
            return self.calendar.add(start, target.duration)
        return start + target.duration

    def left(self, target: SlaTarget, due: datetime, now: datetime) -> timedelta:
        """Time left until ``due`` in the target's own clock (negative once past it: the
        overrun, in elapsed time)."""
        require_aware(now, "now")
        require_aware(due, "due")
        if now >= due:
            return due - now
        if target.business_hours:
            return self.calendar.elapsed(now, due)
        return due - now

    def state(self, target: SlaTarget, due: datetime, now: datetime) -> SlaState:
        """Breached strictly after ``due``; at risk within the warning window before it."""
        if not target.business_hours:  # elapsed time: no calendar (every chat message asks)
            if due.tzinfo is None or now.tzinfo is None:
                raise ValueError("due and now must be timezone-aware datetimes")
            if now > due:
                return SlaState.BREACHED
            if due - now <= target.duration * self.warning_share:
                return SlaState.AT_RISK
            return SlaState.OK
        left = self.left(target, due, now)
        if now > due:
            return SlaState.BREACHED
        if left <= target.duration * self.warning_share:
            return SlaState.AT_RISK
        return SlaState.OK

    def warning_at(self, target: SlaTarget, due: datetime) -> datetime:
        """The instant a clock due at ``due`` turns at risk (for a business-hours target, the
        working time before ``due`` is counted back)."""
        window = target.duration * self.warning_share
        if not target.business_hours:
            return due - window
        return self.calendar.subtract(due, window)


# --- a conversation's clocks --------------------------------------------------------------

_URGENCY: Final = MappingProxyType({SlaState.BREACHED: 0, SlaState.AT_RISK: 1, SlaState.OK: 2})


class Clock(NamedTuple):
    """One running clock of a conversation (a named tuple: a view builds one or two for
    every chat message, and a frozen dataclass costs four times as much to make)."""

    kind: SlaKind
    due_at: datetime
    state: SlaState


@dataclass(frozen=True, slots=True)
class ClockSet:
    """A conversation's running clocks at one instant; ``worst``: the most urgent one."""

    clocks: tuple[Clock, ...]

    @property
    def worst(self) -> Clock | None:
        if len(self.clocks) < 2:
            return self.clocks[0] if self.clocks else None
        return min(self.clocks, key=lambda c: (_URGENCY[c.state], c.due_at))

    @property
    def overdue(self) -> bool:
        """Whether any running clock is past its due time (the customer may escalate)."""
        return any(c.state is SlaState.BREACHED for c in self.clocks)

    @staticmethod
    def of(
        policy: SlaPolicy,
        targets: SlaTargets,
        due: Mapping[SlaKind, datetime | None],
        now: datetime,
    ) -> ClockSet:
        """The running clocks among ``due`` (a null due time is a clock not running)."""
        return ClockSet(
            tuple(
                Clock(kind, at, policy.state(getattr(targets, kind), at, now))
                for kind, at in due.items()
                if at is not None
            )
        )


# --- defaults and configuration -----------------------------------------------------------

_MIN = timedelta(minutes=1)
_WORKDAY = timedelta(hours=9)  # 09:00–18:00

DEFAULT_TARGETS: Final = SlaTargets(
    first_response=SlaTarget(3 * _MIN),  # seed 002: «в течение 1-3 минут»; 24/7 hotline
    next_response=SlaTarget(10 * _MIN),
    resolution=SlaTarget(timedelta(hours=24)),
    escalation=SlaTarget(timedelta(hours=2)),
)
DEFAULT_LINE_TARGETS: Final[Mapping[str, Overrides]] = MappingProxyType(
    {
        # the priority line: tighter than the general one
        Line.TRAVEL_PRIORITY.value: {
            "first_response": SlaTarget(1 * _MIN),
            "next_response": SlaTarget(5 * _MIN),
            "resolution": SlaTarget(timedelta(hours=8)),
            "escalation": SlaTarget(timedelta(hours=1)),
        },
        # seed 002: sellers' chat, «первый ответ приходит в течение получаса»
        Line.SELLER.value: {
            "first_response": SlaTarget(30 * _MIN),
            "next_response": SlaTarget(30 * _MIN),
            "resolution": SlaTarget(3 * _WORKDAY, business_hours=True),
        },
    }
)
DEFAULT_CHANNEL_TARGETS: Final[Mapping[str, Overrides]] = MappingProxyType(
    {
        # e-mail: slower, in working time (seed 002: «до нескольких рабочих дней»)
        Channel.EMAIL.value: {
            "first_response": SlaTarget(_WORKDAY, business_hours=True),
            "next_response": SlaTarget(_WORKDAY, business_hours=True),
            "resolution": SlaTarget(5 * _WORKDAY, business_hours=True),
            "escalation": SlaTarget(_WORKDAY, business_hours=True),
        },
    }
)
DEFAULT_SLA_POLICY: Final = SlaPolicy(
    DEFAULT_TARGETS, lines=DEFAULT_LINE_TARGETS, channels=DEFAULT_CHANNEL_TARGETS
)


def _target(name: str, raw: Any) -> SlaTarget:
    if not isinstance(raw, Mapping) or set(raw) - {"minutes", "business_hours"}:
        raise ValueError(f"{name}: expected {{'minutes': N, 'business_hours': bool}}")
    minutes, business = raw.get("minutes"), raw.get("business_hours", False)
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes <= 0:
        raise ValueError(f"{name}.minutes must be a positive number")
    if not isinstance(business, bool):
        raise ValueError(f"{name}.business_hours must be true or false")
    return SlaTarget(timedelta(minutes=minutes), business_hours=business)


def _overrides(where: str, raw: Any) -> dict[str, SlaTarget]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected an object of targets")
    unknown = set(raw) - set(_TARGET_NAMES)
    if unknown:
        raise ValueError(f"{where}: unknown targets {sorted(unknown)}")
    return {name: _target(f"{where}.{name}", value) for name, value in raw.items()}


def _section(
    name: str, raw: Any, keys: set[str], base: Mapping[str, Overrides]
) -> dict[str, Overrides]:
    merged: dict[str, Overrides] = {k: dict(v) for k, v in base.items()}
    if raw is None:
        return merged
    if not isinstance(raw, Mapping):
        raise ValueError(f"{name}: expected an object")
    for key, value in raw.items():
        if key not in keys:
            raise ValueError(f"{name}: unknown key {key!r}")
        merged[key] = {**merged.get(key, {}), **_overrides(f"{name}.{key}", value)}
    return merged


def parse_policy(
    raw: Mapping[str, Any] | None,
    *,
    warning_share: float = DEFAULT_WARNING_SHARE,
    calendar: BusinessHours = MOSCOW_BUSINESS_HOURS,
) -> SlaPolicy:
    """The policy of the setting's JSON laid over :data:`DEFAULT_SLA_POLICY`: ``{"default":
    {...}, "lines": {line: {...}}, "channels": {channel: {...}}, "pairs": {"line/channel":
    {...}}}``, each ``{...}`` some of ``first_response``, ``next_response``, ``resolution``,
    ``escalation`` as ``{"minutes": N, "business_hours": bool}``. Raises ValueError."""
    raw = raw or {}
    unknown = set(raw) - {"default", "lines", "channels", "pairs"}
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}")
    default = replace(DEFAULT_TARGETS, **_overrides("default", raw.get("default") or {}))
    lines = {line.value for line in Line}
    channels = {channel.value for channel in Channel}
    pairs = {f"{line}/{channel}" for line in lines for channel in channels}
    return SlaPolicy(
        default,
        lines=_section("lines", raw.get("lines"), lines, DEFAULT_LINE_TARGETS),
        channels=_section("channels", raw.get("channels"), channels, DEFAULT_CHANNEL_TARGETS),
        pairs=_section("pairs", raw.get("pairs"), pairs, {}),
        calendar=calendar,
        warning_share=warning_share,
    )
