"""Money helpers: amounts are integer kopecks (1 ₽ = 100 kopecks).

The seeds show amounts the way the operator console prints them, e.g.
«Цена: 2 990,00 ₽», «Скидка: 1 050,00 ₽» (seed 000, product card in WebCRM);
``format_rub`` reproduces that format with a normal space as the thousands
separator.
"""

from typing import Final, TypeAlias

__all__ = ["KOPECKS_PER_RUBLE", "Kopecks", "format_rub", "rub"]

Kopecks: TypeAlias = int
"""An amount of money in kopecks."""

KOPECKS_PER_RUBLE: Final = 100


def _require_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def rub(n: int) -> int:
    """Convert whole rubles to kopecks: ``rub(100) == 10_000``."""
    return _require_int(n, "n") * KOPECKS_PER_RUBLE


def format_rub(kopecks: int) -> str:
    """Format kopecks the Russian way: ``format_rub(299_000) == "2 990,00 ₽"``.

    Groups of thousands are separated by a normal space, the decimal separator
    is a comma, kopecks are always shown and the sign «₽» follows after a space.
    Negative amounts get a leading «-».
    """
    value = _require_int(kopecks, "kopecks")
    sign = "-" if value < 0 else ""
    rubles, kop = divmod(abs(value), KOPECKS_PER_RUBLE)
    grouped = f"{rubles:,}".replace(",", " ")
    return f"{sign}{grouped},{kop:02d} ₽"
