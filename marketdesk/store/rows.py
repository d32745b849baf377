"""Rows written with one prepared statement instead of the ORM's unit of work, and their
objects put into the session as if they had been read.

On the busiest write paths the unit of work (the flush that sorts the session's new and
changed objects and builds their statements) cost more CPU than the statements themselves,
and on SQLite it runs while the write lock is held (``store.transactions``). A path that knows
what it writes inserts the row itself (``INSERT … RETURNING``) and keeps working with the ORM
object of what was stored:

- :func:`insert_adopted`: the insert of a model's row, every column returned (the columns'
  defaults filled in by the statement), and its object built from that row and adopted
  (:func:`insert_adopted_row`: the row too);
- :func:`adopt`: an object built from a row the caller wrote itself.

An adopted object is persistent and clean: nothing is flushed for it, and later changes to it
are, as for any object read. A rollback takes it out of the session again, as the session
does with the objects it inserted itself; otherwise the row's id, which SQLite hands out
again after a rollback, would meet a stale object of the same identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Insert, Row, Table, event, insert, inspect, orm
from sqlalchemy.ext.asyncio import AsyncSession

from .models.base import Base

__all__ = ["adopt", "insert_adopted", "insert_adopted_row"]

_ADOPTED = "marketdesk.rows.adopted"

_M = TypeVar("_M", bound=Base)

# model → its prepared insert returning every column, and each column's attribute name
_INSERTS: dict[type[Base], tuple[Insert, dict[str, str]]] = {}


def adopt(session: AsyncSession, instance: Base) -> None:
    """Put ``instance``, whose row the transaction has just inserted with a statement of its
    own, into the session as if it had been read. Every column must be set."""
    orm.make_transient_to_detached(instance)
    session.add(instance)
    session.sync_session.info.setdefault(_ADOPTED, []).append(instance)


async def insert_adopted(session: AsyncSession, model: type[_M], values: Mapping[str, Any]) -> _M:
    """Insert a row of ``model`` (``values`` by column; the columns' defaults fill in the
    rest) with one prepared statement, and return its object, adopted."""
    instance, _ = await insert_adopted_row(session, model, values)
    return instance


async def insert_adopted_row(
    session: AsyncSession, model: type[_M], values: Mapping[str, Any]
) -> tuple[_M, Row[Any]]:
    """:func:`insert_adopted`, with the row as the statement returned it (every column of
    the table, in its order)."""
    prepared = _INSERTS.get(model)
    if prepared is None:
        mapper = inspect(model)
        table = cast(Table, mapper.local_table)
        names = {c.key: mapper.get_property_by_column(c).key for c in table.columns}
        prepared = _INSERTS[model] = (insert(table).returning(*table.columns), names)
    statement, names = prepared
    row = (await session.execute(statement, dict(values))).one()
    instance = model(**{names[key]: value for key, value in row._mapping.items()})
    adopt(session, instance)
    return instance, row


def _forget_adopted(session: orm.Session) -> None:
    for instance in session.info.pop(_ADOPTED, ()):
        if instance in session:
            session.expunge(instance)


@event.listens_for(orm.Session, "after_commit")
def _committed(session: orm.Session) -> None:
    session.info.pop(_ADOPTED, None)


@event.listens_for(orm.Session, "after_soft_rollback")  # every rollback, the outermost too
def _rolled_back(session: orm.Session, _previous: Any) -> None:
    if not session.in_transaction():
        _forget_adopted(session)
