"""Internal helpers for the timezone-aware datetimes the rules receive."""

from datetime import datetime

__all__ = ["require_aware"]


def require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` unchanged, or raise ``ValueError`` if it is naive.

    Every rule takes time from the caller (never ``now()`` inside a rule), and
    that time must carry a timezone so that comparisons are unambiguous.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value
