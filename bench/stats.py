"""What the benchmarks share: the percentile of a sample (nearest rank, no interpolation)."""

from __future__ import annotations

__all__ = ["percentile"]


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0–100) of ``values``: the value at the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
