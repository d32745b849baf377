"""What a back-office task ended with, and what the customer hears of it.

Seed 000 sends an operator's request to the back office («сделайте заявку в CTASK»,
«Клиента ориентируем на ожидание ответа»): the decision comes back in the task. A task that
ends records a typed outcome. Two queues have outcomes of their own, which change data:

* the fraud-monitoring queue of a coupon ban: ``lifted`` (the ban is lifted: the card and
  the rule then show the customer's coupons as available) or ``kept``;
* «Ошибка описания»: ``corrected`` (the product's description error is fixed);

every queue also ends ``done`` or ``rejected`` (a reason is required; see ``domain.tasks``).

The customer hears the result in Russian, from a template per queue and outcome. No
template may name intersection counts or linked accounts (seed 000: «ЗАПРЕЩЕНО КЛИЕНТУ
НАЗЫВАТЬ КОЛИЧЕСТВО ПЕРЕСЕЧЕНИЙ»): the privacy guard checks every text before it is sent,
and a test checks the templates themselves.
"""

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.domain.descriptions import DESCRIPTION_ERROR_QUEUE
from marketdesk.domain.tasks import TaskStatus, is_terminal

__all__ = [
    "CUSTOMER_RESULTS_RU",
    "OUTCOME_TITLES_RU",
    "TYPED_OUTCOMES",
    "OutcomeNotAllowed",
    "OutcomeRequired",
    "TaskOutcome",
    "customer_result",
    "outcome_for",
]


class TaskOutcome(StrEnum):
    """How a task ended."""

    LIFTED = "lifted"  # fraud monitoring: the coupon ban is lifted
    KEPT = "kept"  # fraud monitoring: the ban stays
    CORRECTED = "corrected"  # «Ошибка описания»: the description is fixed
    DONE = "done"  # any other queue: done
    REJECTED = "rejected"  # any queue: rejected, with a reason


OUTCOME_TITLES_RU: Final = MappingProxyType(
    {
        TaskOutcome.LIFTED: "Ограничение снято",
        TaskOutcome.KEPT: "Ограничение сохранено",
        TaskOutcome.CORRECTED: "Описание исправлено",
        TaskOutcome.DONE: "Выполнено",
        TaskOutcome.REJECTED: "Отклонено",
    }
)

TYPED_OUTCOMES: Final = MappingProxyType(
    {
        FRAUD_QUEUE: (TaskOutcome.LIFTED, TaskOutcome.KEPT),
        DESCRIPTION_ERROR_QUEUE: (TaskOutcome.CORRECTED,),
    }
)
"""The queues whose ``done`` must say how (one of these outcomes is required)."""


class OutcomeRequired(ValueError):
    """A task of a queue with typed outcomes is done without saying how."""

    def __init__(self, allowed: tuple[TaskOutcome, ...]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class OutcomeNotAllowed(ValueError):
    """The outcome does not fit the queue or the status."""

    def __init__(self, outcome: TaskOutcome, allowed: tuple[TaskOutcome, ...]) -> None:
        super().__init__(f"{outcome}: {', '.join(allowed) or '—'}")
        self.outcome = outcome
        self.allowed = allowed


def outcome_for(queue: str, status: TaskStatus, outcome: TaskOutcome | None) -> TaskOutcome | None:
    """The outcome a task of ``queue`` records when it moves to ``status``: None while it is
    not finished (an outcome then is refused); ``rejected`` for a rejection; for ``done``,
    one of the queue's typed outcomes (required) or plain ``done``."""
    status = TaskStatus(status)
    if not is_terminal(status):
        if outcome is not None:
            raise OutcomeNotAllowed(outcome, ())
        return None
    if status is TaskStatus.REJECTED:
        if outcome not in (None, TaskOutcome.REJECTED):
            raise OutcomeNotAllowed(TaskOutcome(outcome), (TaskOutcome.REJECTED,))
        return TaskOutcome.REJECTED
    typed = TYPED_OUTCOMES.get(queue)
    if typed is None:
        if outcome not in (None, TaskOutcome.DONE):
            raise OutcomeNotAllowed(TaskOutcome(outcome), (TaskOutcome.DONE,))
        return TaskOutcome.DONE
    if outcome is None:
        raise OutcomeRequired(typed)
    if outcome not in typed:
        raise OutcomeNotAllowed(TaskOutcome(outcome), typed)
    return TaskOutcome(outcome)


_FOLLOW_UP: Final = "Если вопрос остался, напишите в этом чате."

CUSTOMER_RESULTS_RU: Final = MappingProxyType(
    {
        (FRAUD_QUEUE, TaskOutcome.LIFTED): (
            "Ответ по заявке {number}: ограничение на использование купонов снято. Купоны "
            "снова можно применять при оформлении заказа."
        ),
        (FRAUD_QUEUE, TaskOutcome.KEPT): (
            "Ответ по заявке {number}: мы проверили аккаунт, ограничение на использование "
            "купонов сохраняется. " + _FOLLOW_UP
        ),
        (DESCRIPTION_ERROR_QUEUE, TaskOutcome.CORRECTED): (
            "Ответ по заявке {number}: описание товара исправлено. Спасибо, что сообщили "
            "о неточности!"
        ),
        (DESCRIPTION_ERROR_QUEUE, TaskOutcome.REJECTED): (
            "Ответ по заявке {number}: мы проверили описание товара и не нашли в нём "
            "ошибки. Спасибо, что сообщили! " + _FOLLOW_UP
        ),
        (None, TaskOutcome.DONE): "Заявка {number} («{queue}») выполнена. " + _FOLLOW_UP,
        (None, TaskOutcome.REJECTED): "Заявка {number} («{queue}») отклонена. " + _FOLLOW_UP,
    }
)
"""Templates by (queue, outcome); ``None`` as the queue: any queue without its own text.
Placeholders: ``{number}`` (the task's number), ``{queue}`` (the queue's Russian title)."""


def customer_result(queue: str, queue_title_ru: str, outcome: TaskOutcome, number: str) -> str:
    """The Russian text the customer gets when a task of ``queue`` ends with ``outcome``."""
    template = (
        CUSTOMER_RESULTS_RU.get((queue, outcome))
        or CUSTOMER_RESULTS_RU[
            (None, TaskOutcome.REJECTED if outcome is TaskOutcome.REJECTED else TaskOutcome.DONE)
        ]
    )
    return template.format(number=number, queue=queue_title_ru)
