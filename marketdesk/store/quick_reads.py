"""A read run on a driver connection directly: a ``SELECT`` compiled once for the engine's
dialect and its columns' values made what the engine would make of them (the same result
processors: a UTC datetime, a boolean), with none of the engine's per-statement work.

- **SQLite** (:meth:`QuickQuery.all`, on ``Database.quick_reads``, a file's plain
  connection): no pooled connection, no transaction, none of the result's machinery (about
  0.2 ms here, against a few µs for SQLite's own work on an indexed row). In WAL mode such
  a read never waits for a writer and sees what was committed. A driver's error is raised
  as the engine raises it (``sqlalchemy.exc.DBAPIError``'s kind of it).
- **PostgreSQL** (:meth:`QuickQuery.fetch_all`, on a session's own asyncpg connection,
  ``store.db.postgres_reads_of``): SQLAlchemy begins a session's transaction at the server
  lazily, at its first statement, so a read made on the connection before that runs on its
  own (autocommit) and saves the ``BEGIN`` and, if the session then writes nothing, the
  ``ROLLBACK``: two round trips of three. Made inside a transaction, the read is part of it.

For short reads on hot paths, such as the principal behind a bearer token. Only parameters
that the driver takes as they are (text, numbers) may be given."""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Select, exc
from sqlalchemy.engine import Dialect

if TYPE_CHECKING:
    import asyncpg

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
        return _processed(compiled, raws)

    async def fetch_all(
        self, connection: asyncpg.Connection, dialect: Dialect, parameters: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The rows on a PostgreSQL driver connection (asyncpg's, of the engine's dialect);
        the driver's errors as it raises them (the caller reads through the engine
        instead)."""
        compiled = self._compile(dialect)
        raws = await connection.fetch(compiled.sql, *(parameters[n] for n in compiled.names))
        return _processed(compiled, raws)


def _processed(compiled: _Compiled, raws: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The driver's rows as named tuples, each value made what the engine makes of it."""
    rows = []
    for raw in raws:
        values = [
            value if process is None or value is None else process(value)
            for value, process in zip(raw, compiled.processors, strict=True)
        ]
        rows.append(compiled.row(*values))
    return rows
