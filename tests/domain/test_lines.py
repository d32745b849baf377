"""Support lines (seed 002: priority Travel line, seller support)."""

import pytest

from marketdesk.domain.lines import LINE_TITLES_RU, Line, is_priority_package, route_line

CASES = [
    # (id, kwargs, line)
    ("nobody-special", {}, Line.GENERAL),
    ("hotel-booking", {"has_hotel_booking": True}, Line.TRAVEL_PRIORITY),
    ("corporate", {"is_corporate": True}, Line.TRAVEL_PRIORITY),
    ("package-priority", {"package": "Приоритет"}, Line.TRAVEL_PRIORITY),
    ("package-all-inclusive", {"package": "Все включено"}, Line.TRAVEL_PRIORITY),
    ("package-yo", {"package": "Всё включено"}, Line.TRAVEL_PRIORITY),
    ("package-quoted", {"package": "«Приоритет»"}, Line.TRAVEL_PRIORITY),
    ("package-case-and-spaces", {"package": "  ВСЕ   включено "}, Line.TRAVEL_PRIORITY),
    ("package-slug", {"package": "all_inclusive"}, Line.TRAVEL_PRIORITY),
    ("package-slug-priority", {"package": "priority"}, Line.TRAVEL_PRIORITY),
    ("package-unknown", {"package": "Базовый"}, Line.GENERAL),
    ("package-empty", {"package": ""}, Line.GENERAL),
    ("seller", {"is_seller": True}, Line.SELLER),
    ("seller-wins-over-travel", {"is_seller": True, "has_hotel_booking": True}, Line.SELLER),
    (
        "all-travel-flags",
        {"has_hotel_booking": True, "is_corporate": True, "package": "Приоритет"},
        Line.TRAVEL_PRIORITY,
    ),
]


@pytest.mark.parametrize(("kwargs", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_route_line(kwargs: dict[str, object], line: Line) -> None:
    assert route_line(**kwargs) is line  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (Line.GENERAL, "Общая линия поддержки"),
        (Line.TRAVEL_PRIORITY, "Приоритетная линия Travel"),
        (Line.SELLER, "Поддержка продавцов"),
    ],
    ids=["general", "travel-priority", "seller"],
)
def test_russian_titles(line: Line, title: str) -> None:
    assert (LINE_TITLES_RU[line], line.title_ru) == (title, title)


def test_line_values_are_api_slugs() -> None:
    assert [line.value for line in Line] == ["general", "travel_priority", "seller", "seller_chat"]


@pytest.mark.parametrize(
    ("package", "priority"),
    [(None, False), ("Приоритет", True), ("приоритетный", False), ("Все включено", True)],
    ids=["none", "priority", "similar-word", "all-inclusive"],
)
def test_is_priority_package(package: str | None, priority: bool) -> None:
    assert is_priority_package(package) is priority
