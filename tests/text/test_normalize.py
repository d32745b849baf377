from __future__ import annotations

import pytest

from marketdesk.text.normalize import (
    MAX_INPUT_CHARS,
    fix_lookalikes,
    normalize,
    squeeze_repeats,
    strip_html,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ПРИВЕТ, Мир!", "привет мир"),
        ("Ёлка и ёж", "елка и еж"),
        ("дооообрый деееень", "добрый день"),
        ("сообщение ссылка", "сообщение ссылка"),  # legitimate double letters stay
        ("купон 😀😀 не работает 🙏", "купон не работает"),
        ("<b>Где</b> <i>заказ</i>?", "где заказ"),
        ("a\x00b\x07c", "a b c"),
        ("ку\u200bпон", "купон"),  # zero-width space inside a word
        ("уда\u0301рение", "ударение"),  # combining accent
        ("Kупон", "купон"),  # Latin K in a Cyrillic word
        ("оzon", "ozon"),  # Cyrillic о in a Latin word
        ("товар б/у?", "товар бу"),
        ("магазин 18+", "магазин 18плюс"),
        ("скидка 50%", "скидка 50 процент"),
        ("   \t\n  ", ""),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_non_string_input() -> None:
    assert normalize(None) == ""
    assert normalize(12345) == "12345"


def test_normalize_bounds_long_input() -> None:
    text = "купон " * 10_000
    assert len(normalize(text)) <= MAX_INPUT_CHARS


def test_strip_html_drops_scripts_and_unescapes() -> None:
    assert strip_html("<script>alert('x')</script>a &amp; b").split() == ["a", "&", "b"]


def test_squeeze_repeats_only_three_or_more() -> None:
    assert squeeze_repeats("ааа сс") == "а сс"


def test_fix_lookalikes_keeps_pure_latin_words() -> None:
    assert fix_lookalikes("ozon тест") == "ozon тест"
    assert fix_lookalikes("тeст") == "тест"  # Latin e
