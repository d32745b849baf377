"""Seed 000's «особые» goods: categories where the consultation may differ a little.

A product's ``special_category`` is one of these codes (or none). The titles are the seed's
list «☆ Особые товары»; the console shows the title on the product card."""

from types import MappingProxyType
from typing import Final

__all__ = ["SPECIAL_CATEGORY_TITLES_RU", "special_category_title"]

SPECIAL_CATEGORY_TITLES_RU: Final = MappingProxyType(
    {
        "medicines": "Лекарственные препараты и ветаптека",
        "alcohol": "Алкоголь",
        "jewelry": "Ювелирные изделия",
        "fireworks": "Фейерверк",
        "books": "Книги",
        "adult": "18+",
        "complex_tech": "Технические сложные товары",
        "digital": "Цифровые товары (онлайн-кинотеатры, игры и софт)",
        "satellite_tv": "Комплекты спутникового ТВ МТС",
        "lottery": "Лотерейные билеты Столото",
        "air_guns": "Пневматическое оружие",
        "cars": "Автомобили",
        "motorcycles": "Мотоциклы",
    }
)
"""The codes of ``products.special_category`` and the seed's titles."""


def special_category_title(code: str | None) -> str | None:
    """The title of a special category; an unknown code is shown as it is."""
    if code is None:
        return None
    return SPECIAL_CATEGORY_TITLES_RU.get(code, code)
