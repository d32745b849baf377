"""Inaccurate product descriptions («Сообщить о неточности»): who fixes them.

Seed 000, «Сервис "Сообщить о неточности"»: «По всем неточностям в описании
(некорректный вес товара, название, фото, склейка карточек и т.д.) необходимо
передать информацию. По товарам Retail создаем заявку «Ошибка описания». По
товарам FBO/FBS ориентируйте клиента на написание продавцу в чат.»

Decisions: rFBS is a seller's scheme like FBS (seed 000 groups «rFBS/Crossborder
rFBS» with the seller schemes and explains «Как отличить товар FBS от rFBS»), so
it is routed like FBO/FBS. CrossBorder is not named in that rule; its goods come
from sellers abroad (seed 002: «Маркетплейс товаров из-за рубежа»), the card is
the seller's, so it is routed to the seller chat as well, without a task.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "DESCRIPTION_ERROR_QUEUE",
    "DescriptionErrorRoute",
    "SaleScheme",
    "route_description_error",
]

DESCRIPTION_ERROR_QUEUE: Final = "Ошибка описания"
"""Seed 000: the task created for Retail goods."""


class SaleScheme(StrEnum):
    """How an item is sold: by the marketplace itself (Retail) or by a seller."""

    RETAIL = "retail"
    FBO = "fbo"
    FBS = "fbs"
    RFBS = "rfbs"
    CROSSBORDER = "crossborder"


@dataclass(frozen=True, slots=True)
class DescriptionErrorRoute:
    """What happens with a reported inaccuracy and what the customer is told."""

    creates_task: bool
    queue: str | None
    customer_message_ru: str


_RETAIL_MESSAGE_RU: Final = (
    "Спасибо, что сообщили о неточности в описании товара! Мы передали информацию "
    "специалистам, они проверят и исправят карточку товара."
)
_SELLER_MESSAGE_RU: Final = (
    "Спасибо, что сообщили о неточности в описании товара! Карточку этого товара ведёт "
    "продавец, поэтому, пожалуйста, напишите ему в чат — он уточнит и исправит описание."
)


def route_description_error(scheme: SaleScheme) -> DescriptionErrorRoute:
    """Retail → task «Ошибка описания»; seller schemes → the customer writes to the seller."""
    if SaleScheme(scheme) is SaleScheme.RETAIL:
        return DescriptionErrorRoute(True, DESCRIPTION_ERROR_QUEUE, _RETAIL_MESSAGE_RU)
    return DescriptionErrorRoute(False, None, _SELLER_MESSAGE_RU)
