"""Coupon ban («Бан купонов»): what to do for a given number of account intersections.

Seed 000, «Бан купонов»: the customer card shows «Пересечения этого аккаунта с
другими: N».

* 1 or 2 — the restriction can be lifted: create a task in the queue
  «Фрод-мониторинг - Не могу активировать - Кодовое слово по акции» and tell the
  customer to wait for the answer;
* 3 and more «(до 10)» — the restriction will not be lifted;
* 10 and more — the restriction may be lifted: create the same task, the answer
  about unblocking comes in the task.

Seed ambiguity: «3 и более (до 10)» and «10 и более» both mention 10. We read
«до 10» as exclusive, so 3–9 → not lifted and 10+ → may be lifted.
0 intersections means there is no coupon ban at all.

«ЗАПРЕЩЕНО КЛИЕНТУ НАЗЫВАТЬ КОЛИЧЕСТВО ПЕРЕСЕЧЕНИЙ И ДАННЫЕ АККАУНТОВ»: the
customer messages here contain no number, no digit and no mention of other or
linked accounts; only the operator message names the count.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "FRAUD_QUEUE",
    "LIFTABLE_MAX",
    "MAY_BE_LIFTED_FROM",
    "CouponBanDecision",
    "CouponBanVerdict",
    "decide_coupon_ban",
]

FRAUD_QUEUE: Final = "Фрод-мониторинг / Не могу активировать / Кодовое слово по акции"
"""Seed 000: the back-office queue for coupon-ban tasks."""

LIFTABLE_MAX: Final = 2
"""Seed 000: «Пересечения этого аккаунта с другими: 1» или 2 — ограничение снять можно."""
MAY_BE_LIFTED_FROM: Final = 10
"""Seed 000: «Пересечения этого аккаунта с другими: 10» и более — ограничение может быть снято."""


class CouponBanDecision(StrEnum):
    """What the intersections count means for the customer's coupons."""

    NONE = "none"
    CAN_BE_LIFTED = "can_be_lifted"
    NOT_LIFTED = "not_lifted"
    MAY_BE_LIFTED = "may_be_lifted"


@dataclass(frozen=True, slots=True)
class CouponBanVerdict:
    """The decision plus what the operator does and what the customer is told."""

    decision: CouponBanDecision
    create_task: bool
    task_queue: str | None
    operator_message_ru: str
    customer_message_ru: str


_PRIVACY_REMINDER: Final = (
    "Не называйте клиенту количество пересечений и данные аккаунтов, с которыми они есть."
)


def decide_coupon_ban(intersections: int) -> CouponBanVerdict:
    """Decide on a coupon ban from the number of intersections with other accounts.

    Raises ``ValueError`` for a negative count and ``TypeError`` for a non-integer.
    """
    if isinstance(intersections, bool) or not isinstance(intersections, int):
        raise TypeError("intersections must be an int")
    if intersections < 0:
        raise ValueError("the number of intersections cannot be negative")
    if intersections == 0:
        return CouponBanVerdict(
            decision=CouponBanDecision.NONE,
            create_task=False,
            task_queue=None,
            operator_message_ru="Пересечений с другими аккаунтами нет, бан купонов отсутствует.",
            customer_message_ru=(
                "Ограничений на использование купонов в вашем аккаунте нет. Если купон "
                "не применяется, проверьте, пожалуйста, условия акции и срок действия купона."
            ),
        )
    count = f"Пересечения этого аккаунта с другими: {intersections}."
    if intersections <= LIFTABLE_MAX:
        return CouponBanVerdict(
            decision=CouponBanDecision.CAN_BE_LIFTED,
            create_task=True,
            task_queue=FRAUD_QUEUE,
            operator_message_ru=(
                f"{count} Ограничение можно снять: создайте задание в очередь «{FRAUD_QUEUE}» "
                f"и сориентируйте клиента на ожидание ответа. {_PRIVACY_REMINDER}"
            ),
            customer_message_ru=(
                "Использование одноразовых купонов в вашем аккаунте сейчас ограничено. "
                "Мы передали ваше обращение специалистам, чтобы снять ограничение. "
                "Пожалуйста, дождитесь ответа — мы обязательно сообщим результат."
            ),
        )
    if intersections < MAY_BE_LIFTED_FROM:
        return CouponBanVerdict(
            decision=CouponBanDecision.NOT_LIFTED,
            create_task=False,
            task_queue=None,
            operator_message_ru=(
                f"{count} Ограничение снято не будет, задание не создаётся. {_PRIVACY_REMINDER}"
            ),
            customer_message_ru=(
                "К сожалению, снять ограничение на использование одноразовых купонов "
                "в вашем аккаунте не получится. Приносим извинения за неудобства."
            ),
        )
    return CouponBanVerdict(
        decision=CouponBanDecision.MAY_BE_LIFTED,
        create_task=True,
        task_queue=FRAUD_QUEUE,
        operator_message_ru=(
            f"{count} Ограничение может быть снято: создайте задание в очередь «{FRAUD_QUEUE}». "
            f"Ответ о возможности разблокировки будет предоставлен в задании. {_PRIVACY_REMINDER}"
        ),
        customer_message_ru=(
            "Использование одноразовых купонов в вашем аккаунте сейчас ограничено. "
            "Мы передали обращение специалистам: они проверят, можно ли снять ограничение. "
            "Пожалуйста, дождитесь ответа — мы обязательно сообщим результат."
        ),
    )
