"""The coupon-ban decision (seed 000) as an operator action: the fraud-monitoring task."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.coupon_ban import decide_coupon_ban
from marketdesk.store.models import CouponBan, Customer, Task

from . import audit
from .errors import CouponBanNotLiftable, CustomerNotFound, NoCouponBan
from .principals import Principal
from .tasks import create_task

__all__ = ["CouponBanTaskResult", "request_coupon_ban_review"]


class CouponBanTaskResult(BaseModel):
    task_number: str
    created: bool
    decision: str
    customer_message: str


async def request_coupon_ban_review(
    session: AsyncSession,
    actor: Principal,
    customer_id: int,
    *,
    conversation_id: int | None = None,
) -> CouponBanTaskResult:
    """«Сделать заявку»: only where the rule allows it (1–2 or 10+ intersections). An open
    task for the same customer is returned instead of a second one."""
    actor.require_operator()
    if await session.get(Customer, customer_id) is None:
        raise CustomerNotFound(customer_id=customer_id)
    ban = await session.get(CouponBan, customer_id)
    if ban is None or ban.lifted_at is not None or ban.intersections == 0:
        raise NoCouponBan()
    verdict = decide_coupon_ban(ban.intersections)
    audit.record(
        session,
        actor,
        "coupon_ban.decision",
        entity_kind="customer",
        entity_id=customer_id,
        decision=str(verdict.decision),
    )
    if not verdict.create_task or verdict.task_queue is None:
        await session.commit()
        raise CouponBanNotLiftable(reason=verdict.operator_message_ru)
    existing = await session.scalar(
        select(Task.number).where(
            Task.customer_id == customer_id,
            Task.queue == verdict.task_queue,
            Task.status.in_(["new", "in_progress", "waiting"]),
        )
    )
    if existing is not None:
        await session.commit()
        return CouponBanTaskResult(
            task_number=existing,
            created=False,
            decision=str(verdict.decision),
            customer_message=verdict.customer_message_ru,
        )
    task = await create_task(
        session,
        actor,
        queue=verdict.task_queue,
        title="Не могу активировать купон: проверка бана купонов",
        description=(
            f"Пересечений с другими аккаунтами: {ban.intersections}. "
            f"Решение правила: {verdict.operator_message_ru}"
        ),
        customer_id=customer_id,
        conversation_id=conversation_id,
    )
    return CouponBanTaskResult(
        task_number=task.number,
        created=True,
        decision=str(verdict.decision),
        customer_message=verdict.customer_message_ru,
    )
