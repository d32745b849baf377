"""A statement's rows as one JSON value, so that a screen made of several short lists (the
customer's card: certificates, tasks, comments, returns, balances) is one statement.

Each list costs a statement otherwise: on PostgreSQL a round trip, and on both databases
SQLAlchemy's own CPU per statement, which was more than the database took to run these. With
:func:`rows_as_json` the lists become columns of one ``SELECT``, each a scalar subquery that
aggregates its rows into a JSON array of arrays: PostgreSQL's
``json_agg(json_build_array(…))``, SQLite's ``json_group_array(json_array(…))``.

A JSON aggregate does not promise to keep its input's order, so each row carries its place
(``row_number()`` over the statement's order) as its last value, and
:func:`rows_from_json` sorts by it. Values come back as JSON has them: text, numbers,
``null``; a timestamp as text, which :func:`utc` reads (SQLite's naive UTC text and
PostgreSQL's ISO text with an offset alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, Text, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import ScalarSelect

__all__ = ["json_rows", "rows_as_json", "rows_from_json", "utc", "utc_or_none"]


class json_rows(FunctionElement[str]):
    """``json_rows(a, b, …)``, an aggregate: the group's rows as one JSON array of arrays,
    ``[[a, b, …], …]``, or ``[]`` for none."""

    type = Text()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    values = compiler.process(element.clauses, **kw)
    return f"coalesce(json_agg(json_build_array({values})), '[]')::text"


@compiles(json_rows)
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    values = compiler.process(element.clauses, **kw)
    return f"coalesce(json_group_array(json_array({values})), '[]')"


def rows_as_json(
    statement: Select[*tuple[Any, ...]],
    order_by: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
) -> ScalarSelect[str]:
    """The rows of ``statement`` (its own ``ORDER BY`` and ``LIMIT`` kept) as a scalar
    subquery of one JSON text; ``order_by`` is the statement's order, carried in each row."""
    place = func.row_number().over(order_by=list(order_by)).label("place")
    rows = statement.add_columns(place).subquery()
    return select(json_rows(*rows.c)).scalar_subquery()


def rows_from_json(value: str | bytes | list[list[Any]] | None) -> list[list[Any]]:
    """The rows of a :func:`rows_as_json` column, in the statement's order, without their
    place."""
    rows: list[list[Any]]
    if value is None:
        rows = []
    elif isinstance(value, str | bytes):
        rows = orjson.loads(value)
    else:
        rows = list(value)
    rows.sort(key=lambda row: row[-1])
    return [row[:-1] for row in rows]


def utc(value: str) -> datetime:
    """A timestamp read from JSON: SQLite's text is naive UTC, PostgreSQL's has an offset."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(value: str | None) -> datetime | None:
    """:func:`utc` of a timestamp that may be ``null``."""
    return None if value is None else utc(value)
