"""Whether an exception means «the database cannot be reached right now» (an outage, a
restart, a full connection pool), as opposed to a bug: the first is a 503 the client may
retry, the second stays a 500.

Recognised, on the exception and along its chain (``__cause__``, ``__context__``, ``orig``):

- a SQLAlchemy error raised with the connection invalidated (it died under a statement);
- PostgreSQL's SQLSTATE classes of connection trouble: ``08…`` (connection exception),
  ``57P01``–``57P03`` (shutdown, crash, «cannot connect now» while starting), ``53300`` (too
  many connections), ``3D000`` (the database is not there);
- asyncpg's own connection errors (``connection is closed`` and the like);
- SQLite's ``unable to open database file``, ``database is locked`` (after the busy
  timeout) and ``disk I/O error``;
- SQLAlchemy's pool timeout (every connection busy);
- an ``OSError`` (refused, reset, timed out, name not resolved) raised inside the driver or
  the pool, that is while connecting.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

__all__ = ["UNAVAILABLE_TYPES", "database_unavailable", "unstorable_text"]

UNAVAILABLE_TYPES: tuple[type[Exception], ...] = (DBAPIError, PoolTimeout, OSError)
"""The exception types worth asking :func:`database_unavailable` about."""

_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300", "3D000")
_SQLITE_MESSAGES = ("unable to open database", "database is locked", "disk i/o error")
_DRIVER_MODULES = ("sqlalchemy.pool", "sqlalchemy.engine", "asyncpg", "aiosqlite", "sqlite3")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            pending.append(orig)
        pending += [current.__cause__, current.__context__]


def _raised_in_driver(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DRIVER_MODULES):
            return True
        traceback = traceback.tb_next
    return False


def _one(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, PoolTimeout):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_SQLSTATE_PREFIXES):
        return True
    module = type(exc).__module__
    if module.startswith("asyncpg") and type(exc).__name__ in (
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "InternalClientError",
    ):
        return "connection" in str(exc).lower() or "closed" in str(exc).lower()
    if module == "sqlite3" and type(exc).__name__ == "OperationalError":
        return str(exc).lower().startswith(_SQLITE_MESSAGES)
    return isinstance(exc, OSError) and _raised_in_driver(exc)


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is the database being out of reach."""
    return any(_one(link) for link in _chain(exc))


_UNSTORABLE_SQLSTATES = ("22021", "22P05")  # character not in repertoire, untranslatable


def unstorable_text(exc: BaseException) -> bool:
    """True when the database refused a text it cannot hold (PostgreSQL and a NUL): bad
    input, not an outage and not a bug."""
    return any(getattr(link, "sqlstate", None) in _UNSTORABLE_SQLSTATES for link in _chain(exc))
