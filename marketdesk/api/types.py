"""Types the request models and the routes' parameters share (not a router)."""

from typing import Annotated

from pydantic import Field

from marketdesk.domain.ids import MAX_ID

__all__ = ["BigId"]

BigId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A record's id in a path, a query or a body: 1..MAX_ID (a 64-bit ``BIGINT``); anything
else is 422 before the database is asked. Add ``Path(...)``/``Query(...)`` for a
description: ``Annotated[BigId, Path(description="…")]``."""
