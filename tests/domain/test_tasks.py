"""Back-office tasks: statuses, queues, deadlines, business hours, seller topics."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.domain.lines import Line
from marketdesk.domain.tasks import (
    DELAYED_RESOLUTION_STEPS_RU,
    MOSCOW_BUSINESS_HOURS,
    MOSCOW_TZ,
    QUEUES,
    SELLER_SUPPORT_TOPICS,
    TASK_PRIORITY_TITLES_RU,
    TASK_STATUS_TITLES_RU,
    UNDER_CONTROL_QUEUE,
    BusinessHours,
    InvalidTransition,
    QueueSpec,
    TaskPriority,
    TaskStatus,
    UnknownQueue,
    can_transition,
    deadline_for,
    default_priority,
    is_overdue,
    is_terminal,
    is_valid_seller_topic,
    queue_spec,
    transition,
)

S = TaskStatus
H = timedelta(hours=1)


def msk(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment in November 2026, Moscow time (23 November 2026 is a Monday)."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=MOSCOW_TZ)


# --- statuses -----------------------------------------------------------------------------

ALLOWED = {
    (S.NEW, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.NEW),
    (S.IN_PROGRESS, S.WAITING),
    (S.IN_PROGRESS, S.DONE),
    (S.IN_PROGRESS, S.REJECTED),
    (S.WAITING, S.IN_PROGRESS),
    (S.WAITING, S.DONE),
    (S.WAITING, S.REJECTED),
}
PAIRS = [(a, b) for a in TaskStatus for b in TaskStatus]


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_transition_matrix(a: TaskStatus, b: TaskStatus) -> None:
    assert can_transition(a, b) is ((a, b) in ALLOWED)


@pytest.mark.parametrize(
    ("a", "b"), sorted(ALLOWED), ids=[f"{a.value}->{b.value}" for a, b in sorted(ALLOWED)]
)
def test_transition_returns_target(a: TaskStatus, b: TaskStatus) -> None:
    assert transition(a, b) is b


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (S.NEW, S.DONE, "Нельзя перевести задачу из статуса «Новая» в статус «Выполнена»."),
        (
            S.DONE,
            S.IN_PROGRESS,
            "Нельзя перевести задачу из статуса «Выполнена» в статус «В работе».",
        ),
        (S.REJECTED, S.NEW, "Нельзя перевести задачу из статуса «Отклонена» в статус «Новая»."),
        (S.NEW, S.WAITING, "Нельзя перевести задачу из статуса «Новая» в статус «Ожидает ответа»."),
    ],
    ids=["new->done", "done->in_progress", "rejected->new", "new->waiting"],
)
def test_invalid_transition(a: TaskStatus, b: TaskStatus, message: str) -> None:
    with pytest.raises(InvalidTransition) as info:
        transition(a, b)
    assert (str(info.value), info.value.source, info.value.target) == (message, a, b)


def test_invalid_transition_is_a_value_error() -> None:
    assert issubclass(InvalidTransition, ValueError)


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (S.NEW, False),
        (S.IN_PROGRESS, False),
        (S.WAITING, False),
        (S.DONE, True),
        (S.REJECTED, True),
    ],
    ids=lambda v: v.value if isinstance(v, TaskStatus) else None,
)
def test_is_terminal(status: TaskStatus, terminal: bool) -> None:
    assert is_terminal(status) is terminal


def test_every_status_has_a_russian_title() -> None:
    assert set(TASK_STATUS_TITLES_RU) == set(TaskStatus)


def test_status_strings_are_accepted() -> None:
    assert can_transition("new", "in_progress") is True  # type: ignore[arg-type]


# --- priorities ---------------------------------------------------------------------------


def test_priority_ranks_are_ordered() -> None:
    ranks = [p.rank for p in (TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.HIGH)]
    assert ranks == [0, 1, 2]


def test_urgent_is_the_highest_priority() -> None:
    """The database constraint allows «urgent» (issue 19): the enum has it, above high."""
    assert TaskPriority("urgent") is TaskPriority.URGENT
    assert TaskPriority.URGENT.rank > TaskPriority.HIGH.rank
    assert max(TaskPriority, key=lambda p: p.rank) is TaskPriority.URGENT
    assert [p.value for p in sorted(TaskPriority, key=lambda p: p.rank)] == [
        "low",
        "normal",
        "high",
        "urgent",
    ]


def test_every_priority_has_a_russian_title() -> None:
    assert set(TASK_PRIORITY_TITLES_RU) == set(TaskPriority)
    assert TASK_PRIORITY_TITLES_RU[TaskPriority.URGENT] == "Срочный"


@pytest.mark.parametrize(
    ("line", "priority"),
    [
        (Line.GENERAL, TaskPriority.NORMAL),
        (Line.TRAVEL_PRIORITY, TaskPriority.HIGH),
        (Line.SELLER, TaskPriority.NORMAL),
    ],
    ids=["general", "travel-priority", "seller"],
)
def test_default_priority(line: Line, priority: TaskPriority) -> None:
    assert default_priority(line) is priority


# --- business hours -----------------------------------------------------------------------

TUESDAY_HOLIDAY = BusinessHours(MOSCOW_TZ, holidays=frozenset({date(2026, 11, 24)}))
WEEKENDS_ONLY = BusinessHours(
    MOSCOW_TZ, opens=time(10), closes=time(12), workdays=frozenset({5, 6})
)

ADD_CASES = [
    # (id, calendar, start, duration, expected)
    ("within-the-day", MOSCOW_BUSINESS_HOURS, msk(23, 10), 2 * H, msk(23, 12)),
    ("exactly-at-closing", MOSCOW_BUSINESS_HOURS, msk(23, 10), 8 * H, msk(23, 18)),
    (
        "one-minute-past-closing",
        MOSCOW_BUSINESS_HOURS,
        msk(23, 10),
        8 * H + timedelta(minutes=1),
        msk(24, 9, 1),
    ),
    ("two-working-days", MOSCOW_BUSINESS_HOURS, msk(23, 10), 18 * H, msk(25, 10)),
    ("over-the-weekend", MOSCOW_BUSINESS_HOURS, msk(27, 17), 9 * H, msk(30, 17)),
    ("created-on-saturday", MOSCOW_BUSINESS_HOURS, msk(28, 12), H, msk(30, 10)),
    ("created-before-opening", MOSCOW_BUSINESS_HOURS, msk(23, 7), H, msk(23, 10)),
    ("created-at-closing", MOSCOW_BUSINESS_HOURS, msk(23, 18), H, msk(24, 10)),
    ("last-second", MOSCOW_BUSINESS_HOURS, msk(23, 17, 59, 59), timedelta(seconds=1), msk(23, 18)),
    ("zero-duration-keeps-start", MOSCOW_BUSINESS_HOURS, msk(28, 12), timedelta(0), msk(28, 12)),
    ("skips-a-holiday", TUESDAY_HOLIDAY, msk(23, 17), 2 * H, msk(25, 10)),
    ("weekend-calendar", WEEKENDS_ONLY, msk(23, 9), 3 * H, msk(29, 11)),
]


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [c[1:] for c in ADD_CASES],
    ids=[c[0] for c in ADD_CASES],
)
def test_business_hours_add(
    calendar: BusinessHours, start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert calendar.add(start, duration) == expected


def test_business_hours_keep_the_callers_time_zone() -> None:
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 09:00 Moscow
    result = MOSCOW_BUSINESS_HOURS.add(start, 9 * H)
    assert (result, result.utcoffset()) == (datetime(2026, 11, 23, 15, 0, tzinfo=UTC), timedelta(0))


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (msk(23, 9), True),
        (msk(23, 8, 59, 59), False),
        (msk(23, 17, 59, 59), True),
        (msk(23, 18), False),
        (msk(28, 12), False),
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 5, 59, tzinfo=UTC), False),
    ],
    ids=[
        "opening",
        "before-opening",
        "before-closing",
        "closing",
        "saturday",
        "utc-open",
        "utc-closed",
    ],
)
def test_business_hours_is_open(moment: datetime, is_open: bool) -> None:
    assert MOSCOW_BUSINESS_HOURS.is_open(moment) is is_open


def test_holiday_is_closed() -> None:
    assert TUESDAY_HOLIDAY.is_open(msk(24, 12)) is False


def test_moscow_defaults_match_the_seeds() -> None:
    calendar = MOSCOW_BUSINESS_HOURS
    assert (calendar.opens, calendar.closes, calendar.workdays) == (
        time(9),
        time(18),
        frozenset({0, 1, 2, 3, 4}),
    )
    assert msk(23, 12).utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opens": time(18), "closes": time(9)},
        {"opens": time(9), "closes": time(9)},
        {"workdays": frozenset()},
        {"workdays": frozenset({7})},
        {"opens": time(9, tzinfo=UTC)},
    ],
    ids=["closes-before-opens", "zero-length", "no-workdays", "bad-weekday", "aware-time"],
)
def test_business_hours_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BusinessHours(MOSCOW_TZ, **kwargs)  # type: ignore[arg-type]


def test_business_hours_reject_negative_duration_and_naive_start() -> None:
    with pytest.raises(ValueError, match="negative"):
        MOSCOW_BUSINESS_HOURS.add(msk(23, 10), -H)
    with pytest.raises(ValueError, match="timezone-aware"):
        MOSCOW_BUSINESS_HOURS.add(datetime(2026, 11, 23, 10), H)


# --- queues and deadlines -----------------------------------------------------------------


def test_known_queues() -> None:
    assert FRAUD_QUEUE in QUEUES
    assert "Ошибка описания" in QUEUES
    assert UNDER_CONTROL_QUEUE in QUEUES
    assert all(path == spec.path for path, spec in QUEUES.items())
    assert all(spec.deadline > timedelta(0) and spec.title_ru for spec in QUEUES.values())


@pytest.mark.parametrize(
    ("queue", "calendar", "created", "deadline"),
    [
        (FRAUD_QUEUE, MOSCOW_BUSINESS_HOURS, msk(23, 10), msk(25, 10)),
        (FRAUD_QUEUE, None, msk(23, 10), msk(24, 4)),
        (
            "Ошибка описания",
            MOSCOW_BUSINESS_HOURS,
            msk(27, 12),
            datetime(2026, 12, 2, 12, 0, tzinfo=MOSCOW_TZ),
        ),
        (UNDER_CONTROL_QUEUE, MOSCOW_BUSINESS_HOURS, msk(28, 12), msk(29, 12)),
        (UNDER_CONTROL_QUEUE, None, msk(28, 12), msk(29, 12)),
    ],
    ids=[
        "fraud-business-hours",
        "fraud-no-calendar",
        "description-error-over-weekend",
        "round-the-clock-ignores-calendar",
        "round-the-clock",
    ],
)
def test_deadline_for(
    queue: str, calendar: BusinessHours | None, created: datetime, deadline: datetime
) -> None:
    assert deadline_for(queue, created, calendar) == deadline


def test_deadline_for_accepts_a_custom_spec() -> None:
    spec = QueueSpec("Тестовая очередь", "Тест", timedelta(hours=2), business_hours=True)
    assert deadline_for(spec, msk(23, 17), MOSCOW_BUSINESS_HOURS) == msk(24, 10)


def test_unknown_queue_raises() -> None:
    with pytest.raises(UnknownQueue):
        deadline_for("Нет такой очереди", msk(23, 10))
    with pytest.raises(KeyError):
        queue_spec("Нет такой очереди")


def test_deadline_needs_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for(FRAUD_QUEUE, datetime(2026, 11, 23, 10))


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (msk(23, 18) - timedelta(microseconds=1), False),
        (msk(23, 18), False),
        (msk(23, 18) + timedelta(microseconds=1), True),
        (datetime(2026, 11, 23, 15, 0, 1, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 15, 0, tzinfo=timezone(timedelta(0))), False),
    ],
    ids=["just-before", "exactly-at", "just-after", "other-zone-after", "other-zone-at"],
)
def test_is_overdue(now: datetime, overdue: bool) -> None:
    assert is_overdue(msk(23, 18), now) is overdue


def test_is_overdue_needs_aware_times() -> None:
    with pytest.raises(ValueError):
        is_overdue(msk(23, 18), datetime(2026, 11, 23, 19))


def test_delayed_resolution_steps_follow_seed_002() -> None:
    assert DELAYED_RESOLUTION_STEPS_RU == (
        "Извинитесь за ошибки, допущенные службами.",
        "Возьмите обращение на контроль.",
        "Предложите альтернативное решение: бесплатную услугу или скидку.",
    )


# --- seller topics ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "subtopic", "valid"),
    [
        ("Акции", "Участие в промоакции", True),
        ("Акции", "Удаление товаров из акции со скидкой", True),
        ("Жалобы покупателей", "Обжалование жалобы покупателя", True),
        ("Финансы", "Изменение платёжных реквизитов", True),
        ("Финансы", "Финансовые отчёты", True),
        ("Финансы", "Вопросы по операциям", True),
        ("Заказы", "Неправильный статус заказа", True),
        ("Заказы", "Отмена заказа по инициативе продавца", True),
        ("Заказы", "Обжалование жалобы покупателя", False),
        ("Нет такой темы", "Неправильный статус заказа", False),
        ("Заказы", "", False),
    ],
    ids=[
        "promo",
        "promo-remove",
        "complaint",
        "requisites",
        "reports",
        "operations",
        "wrong-status",
        "seller-cancel",
        "wrong-topic",
        "unknown-topic",
        "empty-subtopic",
    ],
)
def test_is_valid_seller_topic(topic: str, subtopic: str, valid: bool) -> None:
    assert is_valid_seller_topic(topic, subtopic) is valid


def test_seller_topics_are_unique_and_non_empty() -> None:
    titles = [t.title_ru for t in SELLER_SUPPORT_TOPICS]
    assert len(titles) == len(set(titles))
    assert all(t.subtopics_ru for t in SELLER_SUPPORT_TOPICS)
