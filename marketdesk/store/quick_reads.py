"""A read run on a SQLite file's plain driver connection (``Database.quick_reads``): a
``SELECT`` compiled once for the engine's dialect and its columns' values made what the
engine would make of them (the same result processors: a UTC datetime, a boolean), with
none of the engine's per-statement work (a pooled connection, a transaction, the result's
machinery: about 0.2 ms here, against a few µs for SQLite's own work on an indexed row).

For short reads on hot paths that need no transaction, such as the principal behind a
bearer token: in WAL mode such a read never waits for a writer and sees what was committed.
Only parameters that SQLite takes as they are (text, numbers) may be given. A driver's error
is raised as the engine raises it (``sqlalchemy.exc.DBAPIError``'s kind of it)."""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import Select, exc
from sqlalchemy.engine import Dialect

__all__ = ["QuickQuery"]


class _Compiled(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters, in the order of the statement's ``?``
    processors: tuple[Callable[[Any], Any] | None, ...]
    row: type[tuple[Any, ...]]


class QuickQuery:
    """``statement`` (a ``SELECT`` with named bind parameters) for quick reads; compiled at
    its first use with a dialect."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is not None:
            return found
        compiled = self.statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        for name in names:
            if compiled.binds[name].type._cached_bind_processor(dialect) is not None:
                raise TypeError(f"a quick read takes its parameters as they are: {name}")
        columns = list(self.statement.selected_columns)
        processors = tuple(
            column.type._cached_result_processor(dialect, None) for column in columns
        )
        keys = [str(column.key) for column in columns]
        row = namedtuple("QuickRow", keys)  # type: ignore[misc]
        found = self._compiled[dialect.name] = _Compiled(str(compiled), names, processors, row)
        return found

    def all(
        self, connection: sqlite3.Connection, dialect: Dialect, parameters: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The rows (named tuples, by the columns' keys), their values processed."""
        compiled = self._compile(dialect)
        values = [parameters[n] for n in compiled.names]
        try:
            raws = connection.execute(compiled.sql, values).fetchall()
        except sqlite3.Error as error:  # as the engine raises it (a 503 for the API)
            raise exc.DBAPIError.instance(
                compiled.sql, values, error, sqlite3.Error, hide_parameters=True
            ) from error
        rows = []
        for raw in raws:
            values = [
                value if process is None or value is None else process(value)
                for value, process in zip(raw, compiled.processors, strict=True)
            ]
            rows.append(compiled.row(*values))
        return rows

    def first(
        self, connection: sqlite3.Connection, dialect: Dialect, parameters: Mapping[str, Any]
    ) -> Any:
        """The first row, or None."""
        rows = self.all(connection, dialect, parameters)
        return rows[0] if rows else None
