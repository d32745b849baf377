"""Markdown («уценка») grades and which goods may be marked down.

Seed 000, «Уценённые товары»: the state of a marked-down item is a grade from
1 to 7; each grade has a reason and a discount of 50/40/30/20/10/5/3 %.
Grades 6 and 7 exist only for electronics and household appliances and depend
on the base price: grade 6 «базовая стоимость от 20 тыс. руб до 40 тыс. руб»,
grade 7 «базовая стоимость от 40 тыс. руб». «Уценке не подлежат товары:
предметы личной гигиены, ювелирные украшения, букинистика, продукты питания,
ozon.card».

Boundary decision: «от 40 тыс. руб» for grade 7 includes 40 000 ₽, so grade 6
covers base prices from 20 000,00 ₽ inclusive up to 40 000,00 ₽ exclusive
(39 999,99 ₽ is still grade 6, 40 000,00 ₽ is grade 7). Prices are compared in
kopecks.

Not decided by the seed and therefore not enforced: grade 5 («повреждена,
вскрыта или отсутствует упаковка производителя») overlaps grades 6–7 for
expensive electronics; grade 5 stays allowed for every group that may be
marked down.
"""

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from marketdesk.domain.money import format_rub, rub

__all__ = [
    "EXCLUDED_GROUPS",
    "GOODS_GROUP_TITLES_RU",
    "GRADE_6_MAX_BASE_PRICE_EXCLUSIVE",
    "GRADE_6_MIN_BASE_PRICE",
    "GRADE_7_MIN_BASE_PRICE",
    "MARKDOWN_GRADES",
    "PRICE_BOUND_GROUPS",
    "GoodsGroup",
    "InvalidMarkdownGrade",
    "MarkdownCheck",
    "MarkdownGrade",
    "MarkdownVerdict",
    "check_markdown",
    "discounted_price",
    "markdown_grade",
]


class GoodsGroup(StrEnum):
    """Groups of goods that matter for the markdown rules."""

    ELECTRONICS = "electronics"
    APPLIANCES = "appliances"
    PERSONAL_HYGIENE = "personal_hygiene"
    JEWELRY = "jewelry"
    SECOND_HAND_BOOKS = "second_hand_books"
    FOOD = "food"
    GIFT_CARDS = "gift_cards"
    OTHER = "other"


GOODS_GROUP_TITLES_RU: Final = MappingProxyType(
    {
        GoodsGroup.ELECTRONICS: "Электроника",
        GoodsGroup.APPLIANCES: "Бытовая техника",
        GoodsGroup.PERSONAL_HYGIENE: "Предметы личной гигиены",
        GoodsGroup.JEWELRY: "Ювелирные украшения",
        GoodsGroup.SECOND_HAND_BOOKS: "Букинистика",
        GoodsGroup.FOOD: "Продукты питания",
        GoodsGroup.GIFT_CARDS: "Подарочные карты ozon.card",
        GoodsGroup.OTHER: "Прочие товары",
    }
)

EXCLUDED_GROUPS: Final = frozenset(
    {
        GoodsGroup.PERSONAL_HYGIENE,
        GoodsGroup.JEWELRY,
        GoodsGroup.SECOND_HAND_BOOKS,
        GoodsGroup.FOOD,
        GoodsGroup.GIFT_CARDS,
    }
)
"""Seed 000: «Уценке не подлежат товары» — these groups are never marked down."""

PRICE_BOUND_GROUPS: Final = frozenset({GoodsGroup.ELECTRONICS, GoodsGroup.APPLIANCES})
"""Seed 000: grades 6 and 7 are «для электроники и бытовой техники» only."""

GRADE_6_MIN_BASE_PRICE: Final = rub(20_000)
"""Grade 6: base price «от 20 тыс. руб» (inclusive)."""
GRADE_6_MAX_BASE_PRICE_EXCLUSIVE: Final = rub(40_000)
"""Grade 6: base price «до 40 тыс. руб» (exclusive, because grade 7 starts «от 40 тыс. руб»)."""
GRADE_7_MIN_BASE_PRICE: Final = rub(40_000)
"""Grade 7: base price «от 40 тыс. руб» (inclusive)."""


class InvalidMarkdownGrade(ValueError):
    """Raised for a markdown grade outside 1–7."""

    def __init__(self, grade: object) -> None:
        super().__init__(f"Балл уценки должен быть от 1 до 7, получено: {grade!r}")
        self.grade = grade


@dataclass(frozen=True, slots=True)
class MarkdownGrade:
    """One row of the seed 000 table «Балл уценки / Причина / Размер скидки»."""

    grade: int
    reason_ru: str
    discount_percent: int
    condition_ru: str | None = None
    """Extra condition of the grade (goods group and base price), if any."""


MARKDOWN_GRADES: Final = MappingProxyType(
    {
        1: MarkdownGrade(1, "Некомплект более 50%", 50),
        2: MarkdownGrade(2, "Некомплект менее 50%", 40),
        3: MarkdownGrade(
            3,
            "Дефекты материала: непрокрас, нарушение ниточных швов, стёртость рисунка, "
            "перекос деталей, отсутствие мелких аксессуаров (пуговица, бегунок на молнии, "
            "кнопка)",
            30,
        ),
        4: MarkdownGrade(
            4,
            "Механические повреждения: потёртости, царапины, заломы, следы грязи, замины, "
            "трещины, непрокрас",
            20,
        ),
        5: MarkdownGrade(5, "Повреждена, вскрыта или отсутствует упаковка производителя", 10),
        6: MarkdownGrade(
            6,
            "Повреждена или вскрыта упаковка производителя",
            5,
            "Только для электроники и бытовой техники с базовой стоимостью "
            "от 20 000 ₽ до 40 000 ₽ (не включая 40 000 ₽)",
        ),
        7: MarkdownGrade(
            7,
            "Повреждена или вскрыта упаковка производителя",
            3,
            "Только для электроники и бытовой техники с базовой стоимостью от 40 000 ₽",
        ),
    }
)
"""Seed 000: grade → reason and discount (50/40/30/20/10/5/3 %)."""


class MarkdownCheck(StrEnum):
    """Outcome codes of :func:`check_markdown`."""

    OK = "ok"
    INVALID_GRADE = "invalid_grade"
    EXCLUDED_GROUP = "excluded_group"
    GRADE_NOT_FOR_GROUP = "grade_not_for_group"
    PRICE_OUT_OF_RANGE = "price_out_of_range"


@dataclass(frozen=True, slots=True)
class MarkdownVerdict:
    """Whether an item may carry a given markdown grade, with a Russian explanation."""

    allowed: bool
    code: MarkdownCheck
    message_ru: str


def markdown_grade(grade: int) -> MarkdownGrade:
    """Return the seed 000 row for ``grade``; raise :class:`InvalidMarkdownGrade` outside 1–7."""
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in MARKDOWN_GRADES:
        raise InvalidMarkdownGrade(grade)
    return MARKDOWN_GRADES[grade]


def discounted_price(base: int, grade: int) -> int:
    """Price in kopecks after the grade's discount, rounded half up to a whole kopeck.

    The seed gives only percentages; rounding to the kopeck is our choice.
    """
    if isinstance(base, bool) or not isinstance(base, int):
        raise TypeError("base must be an int number of kopecks")
    if base < 0:
        raise ValueError("base price cannot be negative")
    percent = markdown_grade(grade).discount_percent
    return (base * (100 - percent) + 50) // 100


def check_markdown(goods_group: GoodsGroup, grade: int, base_price_kopecks: int) -> MarkdownVerdict:
    """Check that an item of ``goods_group`` with this base price may have markdown ``grade``.

    Order of checks: the grade must be 1–7; the group must not be excluded
    (seed 000 «Уценке не подлежат товары»); grades 6–7 only for electronics and
    appliances within their base-price ranges.
    """
    group = GoodsGroup(goods_group)
    if base_price_kopecks < 0:
        raise ValueError("base price cannot be negative")
    try:
        row = markdown_grade(grade)
    except InvalidMarkdownGrade:
        return MarkdownVerdict(
            False,
            MarkdownCheck.INVALID_GRADE,
            f"Балл уценки {grade} не существует: допустимы баллы от 1 до 7.",
        )
    title = GOODS_GROUP_TITLES_RU[group]
    if group in EXCLUDED_GROUPS:
        return MarkdownVerdict(
            False,
            MarkdownCheck.EXCLUDED_GROUP,
            f"Товары группы «{title}» уценке не подлежат.",
        )
    if row.grade in (6, 7):
        if group not in PRICE_BOUND_GROUPS:
            return MarkdownVerdict(
                False,
                MarkdownCheck.GRADE_NOT_FOR_GROUP,
                f"Балл уценки {row.grade} применяется только к электронике и бытовой технике.",
            )
        if row.grade == 6:
            in_range = (
                GRADE_6_MIN_BASE_PRICE <= base_price_kopecks < GRADE_6_MAX_BASE_PRICE_EXCLUSIVE
            )
        else:
            in_range = base_price_kopecks >= GRADE_7_MIN_BASE_PRICE
        if not in_range:
            condition = row.condition_ru or ""
            return MarkdownVerdict(
                False,
                MarkdownCheck.PRICE_OUT_OF_RANGE,
                f"Балл уценки {row.grade} не подходит: базовая стоимость товара "
                f"{format_rub(base_price_kopecks)}, а этот балл ставится "
                f"{condition[:1].lower()}{condition[1:]}.",
            )
    price = discounted_price(base_price_kopecks, row.grade)
    return MarkdownVerdict(
        True,
        MarkdownCheck.OK,
        f"Уценка допустима: балл {row.grade}, скидка {row.discount_percent}%, "
        f"цена со скидкой {format_rub(price)}.",
    )
