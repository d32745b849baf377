"""Generated history for the reports: N days of conversations (bot-contained or handed to the
demo operators), first replies, resolutions, ratings with Russian comments, a few service-level
breaches, and back-office tasks. Deterministic for a seed; loaded by the demo
(``MARKETDESK_DEMO_HISTORY_DAYS``) and by ``bench/reports.py`` at a year of 1 000 a day.

The shapes (how many are handed, how fast people answer) are invented for a demo that looks
alive; they are not figures of the seeds."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.tasks import MOSCOW_TZ, QUEUES
from marketdesk.store.models import (
    Conversation,
    Customer,
    Message,
    Operator,
    OperatorLine,
    RatingReminder,
    SlaBreach,
    Task,
    utcnow,
)

__all__ = ["HistoryResult", "generate_history"]

BATCH = 2_000

_TOPICS = (
    ("coupons", 0.25, "Не могу применить купон к заказу"),
    ("certificate_activation", 0.35, "Как активировать подарочный сертификат?"),
    ("balance_withdrawal", 0.6, "Хочу вывести деньги с баланса"),
    ("coupon_ban", 0.8, "Почему мне запретили использовать купоны?"),
    ("courier_contact", 0.5, "Как связаться с курьером?"),
    ("crossborder", 0.45, "Где мой заказ из-за границы?"),
    ("description_error", 0.7, "В описании товара ошибка"),
    ("complaint", 0.85, "Хочу оставить жалобу"),
    ("discounts", 0.2, "Как получить скидку?"),
    (None, 0.5, "Здравствуйте, нужна помощь"),
)  # slug, share handed to a person, what the customer writes
_LINES = (("general", 0.75), ("travel_priority", 0.1), ("seller", 0.15))
_CHANNELS = (("web", 0.6), ("telegram", 0.2), ("email", 0.1), ("vk", 0.1))
_HOURS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 8, 8, 8, 8, 7, 7, 7, 6, 5, 3, 2)
_FIRST_RESPONSE_DUE = timedelta(minutes=10)
_COMMENTS = {
    1: ("Так и не решили мою проблему.", "Ждал ответа очень долго.", "Оператор не помог."),
    2: ("Ответили, но вопрос остался.", "Пришлось писать несколько раз."),
    3: ("Нормально, но долго.", "Помогли, хотя не с первого раза."),
    4: ("Спасибо, помогли.", "Хорошо, но ответ можно было дать быстрее."),
    5: ("Отлично, спасибо большое!", "Быстро и вежливо, всё решили.", "Лучшая поддержка!"),
}
_RATING_WEIGHTS = (0.06, 0.06, 0.13, 0.25, 0.5)
_OPTIONAL = (
    "assigned_operator_id",
    "queued_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "rating",
    "rated_at",
    "rating_comment",
)  # every row has every key: one executemany per batch


@dataclass(frozen=True, slots=True)
class HistoryResult:
    conversations: int
    messages: int
    breaches: int
    tasks: int
    days: tuple[date, date] | None


def _pick(rng: random.Random, items: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([i[0] for i in items], weights=[i[1] for i in items])[0]


@dataclass(slots=True)
class _Ids:
    conversation: int
    task: int
    task_number: int


class _Batch:
    def __init__(
        self, session: AsyncSession, progress: Callable[[int], object] | None, messages: bool
    ) -> None:
        self.session = session
        self.progress = progress
        self.messages = messages
        self.rows: dict[Any, list[dict[str, Any]]] = {
            Conversation: [],
            Message: [],
            SlaBreach: [],
            RatingReminder: [],
            Task: [],
        }

    async def add(self, model: Any, row: dict[str, Any]) -> None:
        if model is Message and not self.messages:
            return
        self.rows[model].append(row)
        if len(self.rows[Conversation]) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        for model, rows in self.rows.items():  # conversations first: the others refer to them
            if rows:
                await self.session.execute(insert(model.__table__), rows)
                if self.progress is not None and model is Conversation:
                    self.progress(len(rows))
                rows.clear()


async def _staff(session: AsyncSession) -> dict[str, list[int]]:
    query = select(OperatorLine.line, OperatorLine.operator_id).join(
        Operator, Operator.id == OperatorLine.operator_id
    )
    by_line: dict[str, list[int]] = {}
    for line, operator_id in await session.execute(query):
        by_line.setdefault(line, []).append(operator_id)
    return {line: sorted(ids) for line, ids in by_line.items()}


def _created(rng: random.Random, day: date) -> datetime:
    hour = rng.choices(range(24), weights=_HOURS)[0]
    local = datetime.combine(day, time(hour, 0), tzinfo=MOSCOW_TZ)
    return (local + timedelta(seconds=rng.randrange(3600))).astimezone(UTC)


async def _conversation(
    rng: random.Random,
    batch: _Batch,
    ids: _Ids,
    day: date,
    staff: dict[str, list[int]],
    customers: list[int],
    now: datetime,
) -> int:
    """One conversation with its two messages (and a breach, when its reply came late);
    returns the breaches written."""
    cid = ids.conversation
    ids.conversation += 1
    created = _created(rng, day)
    line = _pick(rng, _LINES)
    channel = _pick(rng, _CHANNELS)
    topic, handed_share, question = rng.choice(_TOPICS)
    operators = staff.get(line) or staff.get("general") or []
    handed = bool(operators) and rng.random() < handed_share
    row: dict[str, Any] = {
        "id": cid,
        "customer_id": None,  # nobody's card fills with generated history
        "line": line,
        "channel": channel,
        "topic": topic,
        "status": "closed",
        "last_seq": 2,
        "extra": {"generated": True},
        "created_at": created,
        "updated_at": created,
        **dict.fromkeys(_OPTIONAL),
    }
    breaches = 0
    if handed:
        queued = created + timedelta(seconds=rng.randint(30, 300))
        slow = 12.0 if channel == "email" else 1.0
        first = queued + timedelta(seconds=min(rng.expovariate(1 / (240 * slow)), 86_400))
        resolved = first + timedelta(seconds=min(rng.expovariate(1 / 900), 86_400))
        row.update(
            assigned_operator_id=rng.choice(operators),
            queued_at=queued,
            first_response_at=first,
            resolved_at=resolved,
        )
        if first - queued > _FIRST_RESPONSE_DUE:
            due = queued + _FIRST_RESPONSE_DUE
            await batch.add(
                SlaBreach,
                {
                    "conversation_id": cid,
                    "kind": "first_response",
                    "due_at": due,
                    "breached_at": due,
                    "operator_id": row["assigned_operator_id"],
                },
            )
            breaches = 1
        answer_kind, answered = "operator", first
    else:
        resolved = created + timedelta(seconds=rng.randint(20, 240))
        row["resolved_at"] = resolved
        answer_kind, answered = "bot", created + timedelta(seconds=2)
    row["closed_at"] = resolved + timedelta(hours=1)
    if rng.random() < 0.45:
        score = rng.choices(range(1, 6), weights=_RATING_WEIGHTS)[0]
        row["rating"] = score
        row["rated_at"] = resolved + timedelta(minutes=rng.randint(1, 50))
        if rng.random() < 0.35:
            row["rating_comment"] = rng.choice(_COMMENTS[score])
    row["updated_at"] = min(row["closed_at"], now)
    await batch.add(Conversation, row)
    if row["rating"] is None:
        # history: its rating reminder went out long ago (a fresh demo sends no wave of
        # reminders into generated conversations nobody reads)
        await batch.add(RatingReminder, {"conversation_id": cid, "sent_at": min(resolved, now)})
    for seq, (kind, body, at) in enumerate(
        (
            ("customer", question, created),
            (answer_kind, "Здравствуйте! Разберёмся с вашим вопросом.", answered),
        ),
        start=1,
    ):
        await batch.add(
            Message,
            {
                "conversation_id": cid,
                "seq": seq,
                "sender_kind": kind,
                "sender_id": None,
                "text": body,
                "private": False,
                "extra": {},
                "created_at": at,
            },
        )
    return breaches


async def _task(rng: random.Random, batch: _Batch, ids: _Ids, day: date, now: datetime) -> None:
    created = _created(rng, day)
    queue = rng.choice(list(QUEUES))
    deadline = created + timedelta(days=rng.choice((1, 2, 3)))
    done_after = timedelta(hours=rng.expovariate(1 / 30))
    closed = created + done_after if created + done_after < now else None
    number = ids.task_number
    ids.task_number += 1
    await batch.add(
        Task,
        {
            # the API's form (CTASK- and seven digits or more), out of the way of the numbers
            # real tasks get from their ids: an eight-digit number starting with 9
            "number": f"CTASK-9{number:07d}",
            "queue": queue,
            "title": "Проверка обращения покупателя",
            "description": "",
            "status": "done" if closed else "new",
            "priority": "normal",
            "created_at": created,
            "updated_at": closed or created,
            "deadline_at": deadline,
            "closed_at": closed,
        },
    )


async def generate_history(
    session: AsyncSession,
    *,
    days: int,
    per_day: int,
    seed: int = 1,
    now: datetime | None = None,
    progress: Callable[[int], object] | None = None,
    messages: bool = True,
) -> HistoryResult:
    """Add ``days`` closed Moscow days (ending yesterday) of about ``per_day`` conversations
    each (with two messages each unless ``messages`` is false), and a task for every 20
    conversations, and commit. Nothing when ``days`` is 0."""
    if days <= 0:
        return HistoryResult(0, 0, 0, 0, None)
    rng = random.Random(seed)
    now = now or utcnow()
    today = now.astimezone(MOSCOW_TZ).date()
    staff = await _staff(session)
    customers = list(await session.scalars(select(Customer.id).order_by(Customer.id).limit(500)))
    next_id = (await session.scalar(select(func.max(Conversation.id))) or 0) + 1
    task_count = await session.scalar(select(func.count()).select_from(Task)) or 0
    ids = _Ids(max(next_id, 1), 0, 900_000 + task_count)
    batch = _Batch(session, progress, messages)
    total = breaches = tasks = 0
    first = today - timedelta(days=days)
    for offset in range(days):
        day = first + timedelta(days=offset)
        weekend = day.weekday() >= 5
        count = max(1, round(per_day * (0.7 if weekend else 1.0) * rng.uniform(0.85, 1.15)))
        for _ in range(count):
            breaches += await _conversation(rng, batch, ids, day, staff, customers, now)
        for _ in range(max(1, count // 20)):
            await _task(rng, batch, ids, day, now)
            tasks += 1
        total += count
    await batch.flush()
    if session.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequence past them
        await session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('conversations', 'id'), "
                "(SELECT max(id) FROM conversations))"
            )
        )
    await session.commit()
    written = total * 2 if messages else 0
    return HistoryResult(total, written, breaches, tasks, (first, today - timedelta(days=1)))
