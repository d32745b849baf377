"""Record ids: positive 64-bit integers (``BIGINT`` on PostgreSQL, ``INTEGER`` on SQLite).

An id outside ``1..MAX_ID`` names no record and cannot even be looked up (the database
driver would overflow): requests check it at the edge (``api/types.BigId``), other
readers with :func:`is_record_id`.
"""

from typing import Final

__all__ = ["MAX_ID", "is_record_id"]

MAX_ID: Final = 2**63 - 1
"""The largest signed 64-bit integer: the largest id a record can have."""


def is_record_id(value: int) -> bool:
    """Whether ``value`` could be a record's id (1..MAX_ID)."""
    return 1 <= value <= MAX_ID
