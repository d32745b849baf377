"""Markdown grades 1–7 and the goods that may be marked down (seed 000, «Уценённые товары»)."""

import pytest

from marketdesk.domain.markdown import (
    EXCLUDED_GROUPS,
    GOODS_GROUP_TITLES_RU,
    MARKDOWN_GRADES,
    GoodsGroup,
    InvalidMarkdownGrade,
    MarkdownCheck,
    check_markdown,
    discounted_price,
    markdown_grade,
)
from marketdesk.domain.money import rub

E = GoodsGroup.ELECTRONICS
A = GoodsGroup.APPLIANCES


@pytest.mark.parametrize(
    ("grade", "percent"),
    [(1, 50), (2, 40), (3, 30), (4, 20), (5, 10), (6, 5), (7, 3)],
    ids=[f"grade-{g}" for g in range(1, 8)],
)
def test_grade_discount_percent(grade: int, percent: int) -> None:
    row = markdown_grade(grade)
    assert (row.grade, row.discount_percent) == (grade, percent)


@pytest.mark.parametrize(
    ("grade", "reason"),
    [
        (1, "Некомплект более 50%"),
        (2, "Некомплект менее 50%"),
        (5, "Повреждена, вскрыта или отсутствует упаковка производителя"),
        (6, "Повреждена или вскрыта упаковка производителя"),
        (7, "Повреждена или вскрыта упаковка производителя"),
    ],
    ids=["grade-1", "grade-2", "grade-5", "grade-6", "grade-7"],
)
def test_grade_reason(grade: int, reason: str) -> None:
    assert markdown_grade(grade).reason_ru == reason


@pytest.mark.parametrize(
    ("grade", "fragment"),
    [(3, "Дефекты материала"), (3, "бегунок на молнии"), (4, "Механические повреждения")],
    ids=["grade-3-material", "grade-3-zipper", "grade-4-mechanical"],
)
def test_long_reasons_keep_seed_wording(grade: int, fragment: str) -> None:
    assert fragment in markdown_grade(grade).reason_ru


def test_only_grades_6_and_7_carry_a_condition() -> None:
    conditions = {g: row.condition_ru is not None for g, row in MARKDOWN_GRADES.items()}
    assert conditions == {1: False, 2: False, 3: False, 4: False, 5: False, 6: True, 7: True}


def test_table_has_exactly_seven_grades() -> None:
    assert sorted(MARKDOWN_GRADES) == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    "grade", [0, 8, -1, 100, True, 1.0, "1"], ids=["0", "8", "-1", "100", "bool", "float", "str"]
)
def test_invalid_grade_raises(grade: object) -> None:
    with pytest.raises(InvalidMarkdownGrade) as info:
        markdown_grade(grade)  # type: ignore[arg-type]
    assert "от 1 до 7" in str(info.value)


def test_invalid_grade_is_a_value_error() -> None:
    assert issubclass(InvalidMarkdownGrade, ValueError)


@pytest.mark.parametrize(
    ("base", "grade", "price"),
    [
        (rub(1_000), 1, rub(500)),
        (rub(1_000), 2, rub(600)),
        (rub(1_000), 3, rub(700)),
        (rub(1_000), 4, rub(800)),
        (rub(1_000), 5, rub(900)),
        (rub(20_000), 6, rub(19_000)),
        (rub(40_000), 7, rub(38_800)),
        (rub(3_557), 3, 248_990),  # seed 000 robot: 3 557 ₽ → 2 489,90 ₽ at 30 %
        (1, 1, 1),  # 0,5 kopeck rounds half up
        (1, 3, 1),  # 0,7 kopeck
        (3, 1, 2),  # 1,5 kopecks → 2
        (1_999_999, 7, 1_939_999),  # 1 939 999,03 → 1 939 999
        (0, 4, 0),
    ],
    ids=[
        "g1",
        "g2",
        "g3",
        "g4",
        "g5",
        "g6",
        "g7",
        "seed-robot",
        "half-kopeck-up",
        "0.7-kopeck-up",
        "1.5-kopecks-up",
        "round-down",
        "zero",
    ],
)
def test_discounted_price(base: int, grade: int, price: int) -> None:
    assert discounted_price(base, grade) == price


def test_discounted_price_rejects_negative_base() -> None:
    with pytest.raises(ValueError, match="negative"):
        discounted_price(-1, 1)


@pytest.mark.parametrize("grade", [0, 8], ids=["0", "8"])
def test_discounted_price_rejects_invalid_grade(grade: int) -> None:
    with pytest.raises(InvalidMarkdownGrade):
        discounted_price(rub(100), grade)


# --- grades 6 and 7 at their price boundaries --------------------------------------------

BOUNDARY_CASES = [
    # (group, grade, base price in kopecks, allowed, code)
    (E, 6, rub(19_999), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 6, rub(20_000) - 1, False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 6, rub(20_000), True, MarkdownCheck.OK),
    (E, 6, rub(39_999), True, MarkdownCheck.OK),
    (E, 6, rub(40_000) - 1, True, MarkdownCheck.OK),
    (E, 6, rub(40_000), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 7, rub(19_999), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 7, rub(20_000), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 7, rub(39_999), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 7, rub(40_000) - 1, False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (E, 7, rub(40_000), True, MarkdownCheck.OK),
    (E, 7, rub(1_000_000), True, MarkdownCheck.OK),
    (A, 6, rub(19_999), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (A, 6, rub(20_000), True, MarkdownCheck.OK),
    (A, 6, rub(39_999), True, MarkdownCheck.OK),
    (A, 6, rub(40_000), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (A, 7, rub(39_999), False, MarkdownCheck.PRICE_OUT_OF_RANGE),
    (A, 7, rub(40_000), True, MarkdownCheck.OK),
]


@pytest.mark.parametrize(
    ("group", "grade", "base", "allowed", "code"),
    BOUNDARY_CASES,
    ids=[f"{g}-grade{gr}-{b / 100:.2f}rub" for g, gr, b, _, _ in BOUNDARY_CASES],
)
def test_grades_6_and_7_price_boundaries(
    group: GoodsGroup, grade: int, base: int, allowed: bool, code: MarkdownCheck
) -> None:
    verdict = check_markdown(group, grade, base)
    assert (verdict.allowed, verdict.code) == (allowed, code)


def test_grade_6_refusal_explains_the_range() -> None:
    verdict = check_markdown(E, 6, rub(40_000))
    assert verdict.message_ru == (
        "Балл уценки 6 не подходит: базовая стоимость товара 40 000,00 ₽, а этот балл "
        "ставится только для электроники и бытовой техники с базовой стоимостью "
        "от 20 000 ₽ до 40 000 ₽ (не включая 40 000 ₽)."
    )


def test_grade_7_refusal_explains_the_range() -> None:
    verdict = check_markdown(A, 7, rub(39_999))
    assert verdict.message_ru == (
        "Балл уценки 7 не подходит: базовая стоимость товара 39 999,00 ₽, а этот балл "
        "ставится только для электроники и бытовой техники с базовой стоимостью от 40 000 ₽."
    )


@pytest.mark.parametrize("grade", [6, 7], ids=["grade-6", "grade-7"])
@pytest.mark.parametrize("base", [rub(25_000), rub(50_000)], ids=["25k", "50k"])
def test_grades_6_and_7_only_for_electronics_and_appliances(grade: int, base: int) -> None:
    verdict = check_markdown(GoodsGroup.OTHER, grade, base)
    assert (verdict.allowed, verdict.code) == (False, MarkdownCheck.GRADE_NOT_FOR_GROUP)
    assert verdict.message_ru == (
        f"Балл уценки {grade} применяется только к электронике и бытовой технике."
    )


# --- excluded groups ----------------------------------------------------------------------

EXCLUDED = [
    GoodsGroup.PERSONAL_HYGIENE,
    GoodsGroup.JEWELRY,
    GoodsGroup.SECOND_HAND_BOOKS,
    GoodsGroup.FOOD,
    GoodsGroup.GIFT_CARDS,
]


def test_excluded_groups_are_the_seed_list() -> None:
    assert frozenset(EXCLUDED) == EXCLUDED_GROUPS


@pytest.mark.parametrize("group", EXCLUDED, ids=[g.value for g in EXCLUDED])
@pytest.mark.parametrize("grade", [1, 4, 5, 7], ids=lambda g: f"grade-{g}")
def test_excluded_groups_are_never_marked_down(group: GoodsGroup, grade: int) -> None:
    verdict = check_markdown(group, grade, rub(50_000))
    assert (verdict.allowed, verdict.code) == (False, MarkdownCheck.EXCLUDED_GROUP)
    assert (
        verdict.message_ru == f"Товары группы «{GOODS_GROUP_TITLES_RU[group]}» уценке не подлежат."
    )


@pytest.mark.parametrize(
    ("group", "title"),
    [
        (GoodsGroup.PERSONAL_HYGIENE, "Предметы личной гигиены"),
        (GoodsGroup.JEWELRY, "Ювелирные украшения"),
        (GoodsGroup.SECOND_HAND_BOOKS, "Букинистика"),
        (GoodsGroup.FOOD, "Продукты питания"),
        (GoodsGroup.GIFT_CARDS, "Подарочные карты ozon.card"),
    ],
    ids=["hygiene", "jewelry", "books", "food", "gift-cards"],
)
def test_excluded_group_titles(group: GoodsGroup, title: str) -> None:
    assert GOODS_GROUP_TITLES_RU[group] == title


def test_every_group_has_a_russian_title() -> None:
    assert set(GOODS_GROUP_TITLES_RU) == set(GoodsGroup)


# --- grades 0, 1, 7, 8 through check_markdown ---------------------------------------------


@pytest.mark.parametrize(
    ("group", "grade", "base", "allowed", "code"),
    [
        (GoodsGroup.OTHER, 0, rub(1_000), False, MarkdownCheck.INVALID_GRADE),
        (GoodsGroup.OTHER, 1, rub(1_000), True, MarkdownCheck.OK),
        (E, 1, rub(100_000), True, MarkdownCheck.OK),
        (GoodsGroup.OTHER, 5, rub(1_000), True, MarkdownCheck.OK),
        (E, 5, rub(50_000), True, MarkdownCheck.OK),
        (E, 7, rub(40_000), True, MarkdownCheck.OK),
        (GoodsGroup.OTHER, 7, rub(40_000), False, MarkdownCheck.GRADE_NOT_FOR_GROUP),
        (GoodsGroup.OTHER, 8, rub(1_000), False, MarkdownCheck.INVALID_GRADE),
        (GoodsGroup.FOOD, 8, rub(1_000), False, MarkdownCheck.INVALID_GRADE),
    ],
    ids=[
        "grade-0",
        "grade-1-other",
        "grade-1-electronics",
        "grade-5-other",
        "grade-5-expensive-electronics",
        "grade-7-electronics",
        "grade-7-other",
        "grade-8",
        "grade-8-before-exclusion",
    ],
)
def test_check_markdown_grades(
    group: GoodsGroup, grade: int, base: int, allowed: bool, code: MarkdownCheck
) -> None:
    verdict = check_markdown(group, grade, base)
    assert (verdict.allowed, verdict.code) == (allowed, code)


@pytest.mark.parametrize("grade", [0, 8], ids=["0", "8"])
def test_invalid_grade_message(grade: int) -> None:
    verdict = check_markdown(GoodsGroup.OTHER, grade, rub(1_000))
    assert verdict.message_ru == f"Балл уценки {grade} не существует: допустимы баллы от 1 до 7."


def test_allowed_message_names_discount_and_price() -> None:
    verdict = check_markdown(GoodsGroup.OTHER, 1, rub(1_000))
    assert verdict.message_ru == "Уценка допустима: балл 1, скидка 50%, цена со скидкой 500,00 ₽."


def test_group_given_as_string_value_is_accepted() -> None:
    verdict = check_markdown("electronics", 6, rub(30_000))  # type: ignore[arg-type]
    assert verdict.code is MarkdownCheck.OK


def test_negative_base_price_raises() -> None:
    with pytest.raises(ValueError, match="negative"):
        check_markdown(E, 1, -1)
