"""A finished task's outcome acts: it changes the data, and the customer hears the result.

Called by :func:`marketdesk.services.tasks.change_status` inside its transaction, so the
status, the outcome, the change of data and the customer's message commit together or not
at all (``domain.task_outcomes`` decides which outcome a queue allows):

* ``lifted``: the customer's coupon ban is lifted (``coupon_bans.lifted_at``): the card then
  shows the coupons as available and no new review can be requested;
* ``corrected``: the product's description error is marked fixed, with who and when;
* the customer gets the Russian result in the conversation the task came from; a task with a
  customer and no conversation raises a notification (``services.notifications.notify``,
  in the same transaction: the customer's channels for orders, goods or the account, by
  what the task is about). The text passes the privacy guard first: a template that would
  disclose a coupon ban's intersections refuses the whole change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import tasks as rules
from marketdesk.domain.task_outcomes import OUTCOME_TITLES_RU, TaskOutcome, customer_result
from marketdesk.store.models import CouponBan, Product, Task

from . import audit, chat, notifications
from .chat.guard import verdict_for_conversation, verdict_for_customer
from .content.templates import outcome_text
from .errors import OutcomeTargetMissing, ResultRefusedByGuard
from .principals import Principal

__all__ = ["apply_outcome", "tell_customer"]


async def apply_outcome(
    session: AsyncSession, actor: Principal, task: Task, outcome: TaskOutcome, now: datetime
) -> None:
    """Change what the outcome changes (nothing for ``done``, ``kept`` and ``rejected``)."""
    task.outcome = outcome
    if outcome is TaskOutcome.LIFTED:
        ban = await session.get(CouponBan, task.customer_id) if task.customer_id else None
        if ban is None or ban.lifted_at is not None:
            raise OutcomeTargetMissing(
                reason="У покупателя задачи нет действующего бана купонов: снять нечего."
            )
        ban.lifted_at = now
        audit.record(
            session, actor, "coupon_ban.lifted", entity_kind="customer", entity_id=ban.customer_id
        )
    elif outcome is TaskOutcome.CORRECTED:
        product = await session.get(Product, task.product_id) if task.product_id else None
        if product is None:
            raise OutcomeTargetMissing(
                reason="Задача не связана с товаром: отметить исправление описания негде."
            )
        product.description_corrected_at = now
        product.description_corrected_by_id = int(actor.id)
        audit.record(
            session,
            actor,
            "product.description_corrected",
            entity_kind="product",
            entity_id=product.id,
        )


async def tell_customer(session: AsyncSession, task: Task, outcome: TaskOutcome) -> int | None:
    """Post the result to the task's customer; → the conversation it went to (None: it went
    as a notification, or the task has neither a conversation nor a customer)."""
    title = _queue_title(task.queue)
    # the text edited in «Управление» (issue 16), else the seed's
    text = await outcome_text(session, task.queue, title, outcome, task.number)
    if text is None:
        text = customer_result(task.queue, title, outcome, task.number)
    if task.conversation_id is not None:
        verdict = await verdict_for_conversation(session, task.conversation_id, text)
    elif task.customer_id is not None:
        verdict = await verdict_for_customer(session, task.customer_id, text)
    else:
        return None
    if not verdict.ok:
        raise ResultRefusedByGuard(reasons=verdict.message or OUTCOME_TITLES_RU[outcome])
    if task.conversation_id is not None:
        await chat.add_system_message(session, task.conversation_id, text)
        return task.conversation_id
    assert task.customer_id is not None
    await notifications.notify(
        session,
        event=_result_event(task),
        data={"text": text, "task": task.number},
        idempotency_key=f"task-result:{task.number}:{outcome.value}",
        customer_id=task.customer_id,
    )
    return None


def _result_event(task: Task) -> str:
    """The notification of a result: by what the task is about (its type's settings)."""
    if task.order_number is not None:
        return "task_result_order"
    if task.product_id is not None:
        return "task_result_goods"
    return "task_result"


def _queue_title(queue: str) -> str:
    try:
        return rules.queue_spec(queue).title_ru
    except rules.UnknownQueue:
        return queue
