"""Back-office tasks: statuses, priorities, queues, deadlines, seller-support topics.

What cannot be solved in the chat becomes a task in a queue (seed 000: «Сделайте
задание в очередь Фрод-мониторинг-Не могу активировать-Кодовое слово по акции»,
«создаем заявку «Ошибка описания»»; seed 002: the operator «возьмет на контроль
обращение» when a resolution is delayed; sellers get a ticket number).

The seeds give no deadlines and no priorities. The figures below are
configuration defaults, named ``DEFAULT_*`` so that nobody mistakes them for
marketplace rules. The default business-hours calendar is from the seeds:
«Служба поддержки работает с 09:00 до 18:00 по московскому времени» (seed 001)
and «обращаться … лучше в рабочие дни, с 9 до 18:00» (seed 002).

Statuses: new → in_progress → waiting → done | rejected. Allowed moves:

* new → in_progress (an agent takes the task);
* in_progress → waiting | done | rejected, or back to new (returned to the queue);
* waiting → in_progress (the awaited answer came) | done | rejected;
* done and rejected are final.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketdesk.domain._time import require_aware
from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.domain.descriptions import DESCRIPTION_ERROR_QUEUE
from marketdesk.domain.lines import Line

__all__ = [
    "ALLOWED_TRANSITIONS",
    "COMPLAINTS_QUEUE",
    "DEFAULT_COMPLAINT_DEADLINE",
    "DEFAULT_DESCRIPTION_ERROR_DEADLINE",
    "DEFAULT_FRAUD_MONITORING_DEADLINE",
    "DEFAULT_RETURNS_DEADLINE",
    "DEFAULT_SELLER_TICKET_DEADLINE",
    "DEFAULT_UNDER_CONTROL_DEADLINE",
    "DELAYED_RESOLUTION_STEPS_RU",
    "DESCRIPTION_ERROR_QUEUE",
    "FRAUD_QUEUE",
    "IDENTIFICATION_QUEUE",
    "MOSCOW_BUSINESS_HOURS",
    "MOSCOW_TZ",
    "QUEUES",
    "RETURNS_QUEUE",
    "SELLER_SUPPORT_QUEUE",
    "SELLER_SUPPORT_TOPICS",
    "TASK_PRIORITY_TITLES_RU",
    "TASK_STATUS_TITLES_RU",
    "UNDER_CONTROL_QUEUE",
    "BusinessHours",
    "InvalidTransition",
    "QueueSpec",
    "SellerTopic",
    "TaskPriority",
    "TaskStatus",
    "UnknownQueue",
    "can_transition",
    "deadline_for",
    "default_priority",
    "is_overdue",
    "is_terminal",
    "is_valid_seller_topic",
    "queue_spec",
    "transition",
]


# --- statuses -----------------------------------------------------------------------------


class TaskStatus(StrEnum):
    """Life cycle of a back-office task."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    DONE = "done"
    REJECTED = "rejected"


TASK_STATUS_TITLES_RU: Final = MappingProxyType(
    {
        TaskStatus.NEW: "Новая",
        TaskStatus.IN_PROGRESS: "В работе",
        TaskStatus.WAITING: "Ожидает ответа",
        TaskStatus.DONE: "Выполнена",
        TaskStatus.REJECTED: "Отклонена",
    }
)

ALLOWED_TRANSITIONS: Final = MappingProxyType(
    {
        TaskStatus.NEW: frozenset({TaskStatus.IN_PROGRESS}),
        TaskStatus.IN_PROGRESS: frozenset(
            {TaskStatus.NEW, TaskStatus.WAITING, TaskStatus.DONE, TaskStatus.REJECTED}
        ),
        TaskStatus.WAITING: frozenset(
            {TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.REJECTED}
        ),
        TaskStatus.DONE: frozenset[TaskStatus](),
        TaskStatus.REJECTED: frozenset[TaskStatus](),
    }
)


class InvalidTransition(ValueError):
    """Raised when a task cannot move from one status to another."""

    def __init__(self, source: TaskStatus, target: TaskStatus) -> None:
        super().__init__(
            f"Нельзя перевести задачу из статуса «{TASK_STATUS_TITLES_RU[source]}» "
            f"в статус «{TASK_STATUS_TITLES_RU[target]}»."
        )
        self.source = source
        self.target = target


def can_transition(a: TaskStatus, b: TaskStatus) -> bool:
    """Whether a task in status ``a`` may move to status ``b``."""
    return TaskStatus(b) in ALLOWED_TRANSITIONS[TaskStatus(a)]


def transition(a: TaskStatus, b: TaskStatus) -> TaskStatus:
    """Return ``b`` if the move is allowed, otherwise raise :class:`InvalidTransition`."""
    source, target = TaskStatus(a), TaskStatus(b)
    if target not in ALLOWED_TRANSITIONS[source]:
        raise InvalidTransition(source, target)
    return target


def is_terminal(status: TaskStatus) -> bool:
    """Done and rejected tasks never change again."""
    return not ALLOWED_TRANSITIONS[TaskStatus(status)]


# --- priorities ---------------------------------------------------------------------------


class TaskPriority(StrEnum):
    """Task priority; compare with :attr:`rank` (higher is more urgent)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for low, 1 for normal, 2 for high, 3 for urgent."""
        return _PRIORITY_RANKS[self]


_PRIORITY_RANKS: Final = MappingProxyType(
    {TaskPriority.LOW: 0, TaskPriority.NORMAL: 1, TaskPriority.HIGH: 2, TaskPriority.URGENT: 3}
)

TASK_PRIORITY_TITLES_RU: Final = MappingProxyType(
    {
        TaskPriority.LOW: "Низкий",
        TaskPriority.NORMAL: "Обычный",
        TaskPriority.HIGH: "Высокий",
        TaskPriority.URGENT: "Срочный",
    }
)


def default_priority(line: Line) -> TaskPriority:
    """Tasks from the priority Travel line (seed 002) are high priority, others normal."""
    return TaskPriority.HIGH if Line(line) is Line.TRAVEL_PRIORITY else TaskPriority.NORMAL


# --- business hours -----------------------------------------------------------------------

MOSCOW_TZ: Final = timezone(timedelta(hours=3), "MSK")
"""Moscow time, UTC+3 all year round (no daylight saving since 2014)."""


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Working hours in one time zone, e.g. Mon–Fri 09:00–18:00 Moscow time.

    ``workdays`` uses ``date.weekday()`` numbers (0 = Monday); ``holidays`` are
    local dates on which nobody works; ``working_days`` are local dates worked although
    their weekday is not (a working Saturday a public holiday was transferred from).
    """

    tz: tzinfo
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local wall-clock times without tzinfo")
        if not self.opens < self.closes:
            raise ValueError("business hours must open before they close")
        if not self.workdays or not self.workdays <= frozenset(range(7)):
            raise ValueError("workdays must be a non-empty set of weekday numbers 0–6")

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a working day."""
        if day in self.holidays:
            return False
        return day.weekday() in self.workdays or day in self.working_days

    def is_open(self, at: datetime) -> bool:
        """Whether the instant ``at`` falls within working hours."""
        local = require_aware(at, "at").astimezone(self.tz)
        return self.is_workday(local.date()) and self.opens <= local.time() < self.closes

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of working time has passed since ``start``.

        Time outside working hours does not count. The result is in ``start``'s
        time zone; a deadline may fall exactly at closing time.
        """
        require_aware(start, "start")
        if duration < timedelta(0):
            raise ValueError("duration cannot be negative")
        if duration == timedelta(0):
            return start
        remaining = duration
        current = start.astimezone(self.tz)
        day = current.date()
        while True:
            if self.is_workday(day):
                open_at = datetime.combine(day, self.opens, tzinfo=self.tz)
                close_at = datetime.combine(day, self.closes, tzinfo=self.tz)
                current = max(current, open_at)
                if current < close_at:
                    available = close_at - current
                    if remaining <= available:
                        return (current + remaining).astimezone(start.tzinfo)
                    remaining -= available
            day += timedelta(days=1)
            current = datetime.combine(day, time(0, 0), tzinfo=self.tz)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between ``start`` and ``end`` (zero if ``end`` is not after it)."""
        require_aware(start, "start")
        require_aware(end, "end")
        if end <= start:
            return timedelta(0)
        first, last = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta(0)
        day = first.date()
        while day <= last.date():
            if self.is_workday(day):
                open_at = datetime.combine(day, self.opens, tzinfo=self.tz)
                close_at = datetime.combine(day, self.closes, tzinfo=self.tz)
                lo, hi = max(open_at, first), min(close_at, last)
                if lo < hi:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of working time before ``end`` (the inverse of
        :meth:`add`); a start may fall exactly at opening time."""
        require_aware(end, "end")
        if duration < timedelta(0):
            raise ValueError("duration cannot be negative")
        if duration == timedelta(0):
            return end
        remaining = duration
        current = end.astimezone(self.tz)
        day = current.date()
        while True:
            if self.is_workday(day):
                open_at = datetime.combine(day, self.opens, tzinfo=self.tz)
                close_at = datetime.combine(day, self.closes, tzinfo=self.tz)
                current = min(current, close_at)
                if current > open_at:
                    available = current - open_at
                    if remaining <= available:
                        return (current - remaining).astimezone(end.tzinfo)
                    remaining -= available
            day -= timedelta(days=1)
            current = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.tz)


MOSCOW_BUSINESS_HOURS: Final = BusinessHours(MOSCOW_TZ)
"""Seeds 001–002: working days, 09:00–18:00 Moscow time."""


# --- queues -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A back-office queue: its path, Russian title and default deadline."""

    path: str
    title_ru: str
    deadline: timedelta
    business_hours: bool
    """Whether ``deadline`` counts working time only (when a calendar is given)."""


# Configuration defaults: the seeds give no figures for any of these.
DEFAULT_FRAUD_MONITORING_DEADLINE: Final = timedelta(hours=18)  # two working days of 9 h
DEFAULT_DESCRIPTION_ERROR_DEADLINE: Final = timedelta(hours=27)  # three working days of 9 h
DEFAULT_SELLER_TICKET_DEADLINE: Final = timedelta(hours=9)  # one working day
DEFAULT_UNDER_CONTROL_DEADLINE: Final = timedelta(hours=24)  # round the clock
DEFAULT_COMPLAINT_DEADLINE: Final = timedelta(hours=72)  # round the clock
DEFAULT_RETURNS_DEADLINE: Final = timedelta(hours=18)  # two working days of 9 h
DEFAULT_IDENTIFICATION_DEADLINE: Final = timedelta(hours=18)  # two working days of 9 h

SELLER_SUPPORT_QUEUE: Final = "Поддержка продавцов / Обращения"
"""Seed 002: seller requests with a topic, a sub-topic and a ticket number."""
UNDER_CONTROL_QUEUE: Final = "Обращения на контроле"
"""Seed 002: a delayed resolution is «взят на контроль»."""
COMPLAINTS_QUEUE: Final = "Жалобы"
IDENTIFICATION_QUEUE: Final = "Идентификация / Забытое кодовое слово"
"""Seed 001: «Что делать, если я забыл кодовое слово … Вам потребуется пройти процедуру
идентификации.» The seed names no queue: this is the default of
``MARKETDESK_CODEWORD_RESET_QUEUE``."""
RETURNS_QUEUE: Final = "Возвраты"
"""Seed 000's card has a «Возвраты» tab: an accepted return request is worked here."""
"""Seed 002, «Как подать жалобу?»: complaints are analysed by the marketplace staff."""

QUEUES: Final = MappingProxyType(
    {
        spec.path: spec
        for spec in (
            QueueSpec(
                FRAUD_QUEUE,
                "Фрод-мониторинг: бан купонов",
                DEFAULT_FRAUD_MONITORING_DEADLINE,
                business_hours=True,
            ),
            QueueSpec(
                DESCRIPTION_ERROR_QUEUE,
                "Ошибка описания",
                DEFAULT_DESCRIPTION_ERROR_DEADLINE,
                business_hours=True,
            ),
            QueueSpec(
                SELLER_SUPPORT_QUEUE,
                "Обращения продавцов",
                DEFAULT_SELLER_TICKET_DEADLINE,
                business_hours=True,
            ),
            QueueSpec(
                UNDER_CONTROL_QUEUE,
                "Обращения на контроле",
                DEFAULT_UNDER_CONTROL_DEADLINE,
                business_hours=False,
            ),
            QueueSpec(
                RETURNS_QUEUE,
                "Возвраты",
                DEFAULT_RETURNS_DEADLINE,
                business_hours=True,
            ),
            QueueSpec(
                IDENTIFICATION_QUEUE,
                "Идентификация: забытое кодовое слово",
                DEFAULT_IDENTIFICATION_DEADLINE,
                business_hours=True,
            ),
            QueueSpec(
                COMPLAINTS_QUEUE,
                "Жалобы клиентов",
                DEFAULT_COMPLAINT_DEADLINE,
                business_hours=False,
            ),
        )
    }
)
"""The known queues, by path."""

DELAYED_RESOLUTION_STEPS_RU: Final = (
    "Извинитесь за ошибки, допущенные службами.",
    "Возьмите обращение на контроль.",
    "Предложите альтернативное решение: бесплатную услугу или скидку.",
)
"""Seed 002: what the operator does when a resolution is delayed for reasons beyond them."""


class UnknownQueue(KeyError):
    """Raised for a queue path that is not in :data:`QUEUES`."""


def queue_spec(path: str) -> QueueSpec:
    """The registered queue with this path; raise :class:`UnknownQueue` otherwise."""
    try:
        return QUEUES[path]
    except KeyError:
        raise UnknownQueue(path) from None


def deadline_for(
    queue: QueueSpec | str,
    created_at: datetime,
    business_hours: BusinessHours | None = None,
) -> datetime:
    """When a task created at ``created_at`` in ``queue`` becomes overdue.

    Queues that count working time use ``business_hours`` when it is given;
    without a calendar (or for round-the-clock queues) the deadline is plain
    elapsed time.
    """
    spec = queue if isinstance(queue, QueueSpec) else queue_spec(queue)
    require_aware(created_at, "created_at")
    if spec.business_hours and business_hours is not None:
        return business_hours.add(created_at, spec.deadline)
    return created_at + spec.deadline


def is_overdue(deadline: datetime, now: datetime) -> bool:
    """A task is overdue strictly after its deadline (exactly at the deadline it is not)."""
    return require_aware(now, "now") > require_aware(deadline, "deadline")


# --- seller support topics ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SellerTopic:
    """A seller-support topic and its sub-topics (the drop-down lists of the request form)."""

    title_ru: str
    subtopics_ru: tuple[str, ...]


SELLER_SUPPORT_TOPICS: Final = (
    # Seed 002, «Популярные темы обращений», plus the seller questions named next to them
    # («найти «потерявшиеся» заказы, помочь с массовым объединением карточек или подключить
    # к скидочной программе», «слияние аккаунтов или расторжение договора», «пересчитать
    # платежи за период или перенести позиции в другую категорию»).
    SellerTopic(
        "Акции",
        (
            "Участие в промоакции",
            "Удаление товаров из акции со скидкой",
            "Подключение к скидочной программе",
        ),
    ),
    SellerTopic("Жалобы покупателей", ("Обжалование жалобы покупателя",)),
    SellerTopic(
        "Финансы",
        (
            "Изменение платёжных реквизитов",
            "Финансовые отчёты",
            "Вопросы по операциям",
            "Пересчёт платежей за период",
        ),
    ),
    SellerTopic(
        "Заказы",
        (
            "Неправильный статус заказа",
            "Отмена заказа по инициативе продавца",
            "Поиск потерявшегося заказа",
        ),
    ),
    SellerTopic(
        "Товары",
        ("Объединение карточек товаров", "Перенос товаров в другую категорию"),
    ),
    SellerTopic("Аккаунт и договор", ("Слияние аккаунтов", "Расторжение договора")),
)


def is_valid_seller_topic(topic: str, subtopic: str) -> bool:
    """Whether ``subtopic`` is one of the sub-topics of ``topic``."""
    return any(t.title_ru == topic and subtopic in t.subtopics_ru for t in SELLER_SUPPORT_TOPICS)
