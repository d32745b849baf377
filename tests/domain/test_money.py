"""Money helpers: rubles → kopecks and the Russian «2 990,00 ₽» format (seed 000 WebCRM card)."""

import pytest

from marketdesk.domain.money import KOPECKS_PER_RUBLE, format_rub, rub


@pytest.mark.parametrize(
    ("rubles", "kopecks"),
    [(0, 0), (1, 100), (100, 10_000), (2_990, 299_000), (40_000, 4_000_000), (-5, -500)],
    ids=["zero", "one", "hundred", "price", "forty-thousand", "negative"],
)
def test_rub_converts_rubles_to_kopecks(rubles: int, kopecks: int) -> None:
    assert rub(rubles) == kopecks


def test_kopecks_per_ruble_is_one_hundred() -> None:
    assert KOPECKS_PER_RUBLE == 100


@pytest.mark.parametrize("value", [True, 1.5, "100", None], ids=["bool", "float", "str", "none"])
def test_rub_rejects_non_integers(value: object) -> None:
    with pytest.raises(TypeError):
        rub(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kopecks", "text"),
    [
        (0, "0,00 ₽"),
        (1, "0,01 ₽"),
        (99, "0,99 ₽"),
        (100, "1,00 ₽"),
        (33_200, "332,00 ₽"),
        (99_999, "999,99 ₽"),
        (100_000, "1 000,00 ₽"),
        (105_000, "1 050,00 ₽"),
        (164_900, "1 649,00 ₽"),
        (299_000, "2 990,00 ₽"),
        (22_320_000, "223 200,00 ₽"),
        (100_000_000, "1 000 000,00 ₽"),
        (123_456_789, "1 234 567,89 ₽"),
        (-299_000, "-2 990,00 ₽"),
        (-1, "-0,01 ₽"),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else None,
)
def test_format_rub_uses_russian_format(kopecks: int, text: str) -> None:
    assert format_rub(kopecks) == text


def test_format_rub_matches_seed_product_card() -> None:
    # Seed 000: «Цена: 2 990,00 ₽ / Скидка: 1 050,00 ₽ / Цена со скидкой: 1 940,00 ₽»
    price, discount = rub(2_990), rub(1_050)
    assert [format_rub(price), format_rub(discount), format_rub(price - discount)] == [
        "2 990,00 ₽",
        "1 050,00 ₽",
        "1 940,00 ₽",
    ]


@pytest.mark.parametrize("value", [True, 1.0, "1"], ids=["bool", "float", "str"])
def test_format_rub_rejects_non_integers(value: object) -> None:
    with pytest.raises(TypeError):
        format_rub(value)  # type: ignore[arg-type]
