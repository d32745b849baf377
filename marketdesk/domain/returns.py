"""Whether a return request is accepted, by the product's return terms (seed 000).

The product card gives three periods («Сроки возврата»): «Проверка качества товара и
доставки: 3 дня», «Возврат товара надлежащего качества: 7 дней», «Возврат товара по
гарантии: 1 год». Each product carries its own (``return_check_days``, ``return_days``,
``warranty_months``); a term the product does not give is not offered.

The reasons and the term each one is judged by:

- ``defect`` and ``not_as_described``: the quality check of the goods and the delivery;
- ``proper_quality``: the return of goods of proper quality («В течение недели клиент имеет
  право вернуть покупку, если она сохраняет эксплуатационные характеристики», seed 002);
- ``warranty``: the warranty.

A term counts whole days after the day the order was received: received on 1 March with a
7-day term, 8 March is the last day in term and 9 March the first day out. The warranty
counts calendar months (a year is 12), ending on the same day of the month (the last day of
a shorter month).

Goods the seeds exclude: gift certificates are never returned («Сертификат нельзя
аннулировать»), and digital goods of proper quality are not («Товар надлежащего качества
обмену и возврату не подлежит», on the electronic certificate's card).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "RETURN_REASON_TITLES_RU",
    "ReturnDecision",
    "ReturnReason",
    "ReturnTerms",
    "add_months",
    "decide_return",
]


class ReturnReason(StrEnum):
    DEFECT = "defect"
    NOT_AS_DESCRIBED = "not_as_described"
    PROPER_QUALITY = "proper_quality"
    WARRANTY = "warranty"


RETURN_REASON_TITLES_RU: Final = MappingProxyType(
    {
        ReturnReason.DEFECT: "Брак",
        ReturnReason.NOT_AS_DESCRIBED: "Не соответствует описанию",
        ReturnReason.PROPER_QUALITY: "Товар надлежащего качества",
        ReturnReason.WARRANTY: "Гарантийный случай",
    }
)

_TERM_TITLES_RU: Final = MappingProxyType(
    {
        ReturnReason.DEFECT: "срок проверки качества товара и доставки",
        ReturnReason.NOT_AS_DESCRIBED: "срок проверки качества товара и доставки",
        ReturnReason.PROPER_QUALITY: "срок возврата товара надлежащего качества",
        ReturnReason.WARRANTY: "гарантийный срок",
    }
)


@dataclass(frozen=True, slots=True)
class ReturnTerms:
    """A product's return terms; None: the product does not offer that term."""

    check_days: int | None
    return_days: int | None
    warranty_months: int | None
    gift_card: bool = False  # a gift certificate
    digital: bool = False  # a digital good (delivered electronically)


@dataclass(frozen=True, slots=True)
class ReturnDecision:
    accepted: bool
    code: str  # accepted, not_received, term_ended, no_term, certificate, digital_goods
    message_ru: str
    last_day: date | None = None  # the last day in term (when a term decided)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day if it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _last_day(reason: ReturnReason, received: date, terms: ReturnTerms) -> date | None:
    if reason is ReturnReason.WARRANTY:
        months = terms.warranty_months
        return add_months(received, months) if months else None
    days = terms.return_days if reason is ReturnReason.PROPER_QUALITY else terms.check_days
    return received + timedelta(days=days) if days else None


def decide_return(
    reason: ReturnReason, received: date | None, today: date, terms: ReturnTerms
) -> ReturnDecision:
    """Accept or refuse a return of one product for ``reason``, on ``today``."""
    reason = ReturnReason(reason)
    if terms.gift_card:
        return ReturnDecision(
            False,
            "certificate",
            "Подарочный сертификат не возвращается: сертификат нельзя аннулировать.",
        )
    if terms.digital and reason is ReturnReason.PROPER_QUALITY:
        return ReturnDecision(
            False,
            "digital_goods",
            "Цифровой товар надлежащего качества обмену и возврату не подлежит.",
        )
    if received is None:
        return ReturnDecision(
            False,
            "not_received",
            "Заказ ещё не получен: вернуть товар можно после получения.",
        )
    last_day = _last_day(reason, received, terms)
    term = _TERM_TITLES_RU[reason]
    if last_day is None:
        return ReturnDecision(
            False, "no_term", f"Для этого товара {term} не предусмотрен.", last_day=None
        )
    if today > last_day:
        return ReturnDecision(
            False,
            "term_ended",
            f"{term[0].upper()}{term[1:]} закончился {last_day:%d.%m.%Y}.",
            last_day=last_day,
        )
    return ReturnDecision(
        True,
        "accepted",
        f"Возврат принят: {term} — до {last_day:%d.%m.%Y} включительно.",
        last_day=last_day,
    )
