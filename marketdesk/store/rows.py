"""Rows written with one prepared statement instead of the ORM's unit of work, and their
objects put into the session as if they had been read.

On the busiest write paths the unit of work (the flush that sorts the session's new and
changed objects and builds their statements) cost more CPU than the statements themselves,
and on SQLite it runs while the write lock is held (``store.transactions``). A path that knows
what it writes inserts the row itself (``INSERT … RETURNING``) and keeps working with the ORM
object of what was stored:

- :func:`insert_adopted`: the insert of a model's row, every column returned (the columns'
  defaults filled in by the statement), and its object built from that row and adopted
  (:func:`insert_adopted_row`: the row too; :func:`insert_row`: the row only, for a path
  that needs no object of it: building and adopting one cost about as much as the
  statement);
- :func:`insert_numbered`: :func:`insert_adopted` of a row whose number (a task's
  ``CTASK-0000042``) is made of its id in the same statement, not by an ``UPDATE`` after it;
- :func:`adopt`: an object built from a row the caller wrote itself (:func:`as_loaded`
  builds it as the ORM builds the object of a row it reads);
- :func:`write_changes`: the changed columns of one object read (or adopted), written with
  one prepared ``UPDATE`` by its primary key instead of the flush.

An adopted object is persistent and clean: nothing is flushed for it, and later changes to it
are, as for any object read. A rollback takes it out of the session again, as the session
does with the objects it inserted itself; otherwise the row's id, which SQLite hands out
again after a rollback, would meet a stale object of the same identity."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Insert,
    Row,
    Select,
    Table,
    Text,
    Update,
    bindparam,
    event,
    func,
    insert,
    inspect,
    literal,
    orm,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from .models.base import Base

__all__ = [
    "Follower",
    "adopt",
    "adopt_row",
    "as_loaded",
    "execute_followed",
    "insert_adopted",
    "insert_adopted_row",
    "insert_numbered",
    "insert_row",
    "update_by_id",
    "with_defaults",
    "write_changes",
]

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
    row = await insert_row(session, model, values)
    return _adopted(session, model, _INSERTS[model][1], row), row


async def insert_row(
    session: AsyncSession, model: type[Base], values: Mapping[str, Any]
) -> Row[Any]:
    """Insert a row of ``model`` (``values`` by column; the columns' defaults fill in the
    rest) with one prepared statement, and return it as the statement returned it (every
    column of the table, by its column's name), with no object made of it."""
    prepared = _INSERTS.get(model)
    if prepared is None:
        mapper = inspect(model)
        table = cast(Table, mapper.local_table)
        prepared = _INSERTS[model] = (
            insert(table).returning(*table.columns),
            _attribute_names(mapper, table),
        )
    row: Row[Any] = (await session.execute(prepared[0], dict(values))).one()
    return row


@dataclass(frozen=True, slots=True)
class Follower:
    """A row that :func:`execute_followed` inserts after another (a numbered row, a task's
    update): ``values`` by column, and ``from_row``: its columns that take the other row's
    (this table's column → the other row's column), such as a history entry's ``task_id``
    or an audit entry's ``entity_id`` (the task's number)."""

    table: Table
    values: Mapping[str, Any]
    from_row: Mapping[str, str]

    def shape(self) -> tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]:
        return (self.table.name, tuple(self.values), tuple(self.from_row.items()))


# (model, dialect, the columns given, the numbered column, its prefix and digits) → the
# insert, and each column's attribute name
_NUMBERED: dict[tuple[Any, ...], tuple[Insert, dict[str, str]]] = {}
# (the statement, the followers' shapes) → PostgreSQL's one statement
_FOLLOWED: dict[tuple[Any, ...], Select[Any]] = {}
_FOLLOWER_INSERTS: dict[str, Insert] = {}


async def insert_numbered(
    session: AsyncSession,
    model: type[_M],
    values: Mapping[str, Any],
    *,
    column: str,
    prefix: str,
    digits: int,
    followers: Sequence[Follower] = (),
) -> _M:
    """:func:`insert_adopted` of a row whose ``column`` is ``prefix`` and its id, zero-padded
    to at least ``digits`` (``CTASK-0000042``), written by the same statement: the id is
    chosen by the statement itself (PostgreSQL: the id column's sequence; SQLite: the next
    rowid, the largest plus one, as SQLite picks it for a table without ``AUTOINCREMENT``, in
    the statement that inserts, under the database's write lock), not read back and written
    with an ``UPDATE`` after the insert (a statement, and on PostgreSQL a round trip, less).
    ``followers``: rows that go in with it (:func:`execute_followed`)."""
    dialect = session.get_bind().dialect.name
    mapper = inspect(model)
    table = cast(Table, mapper.local_table)
    if dialect == "postgresql" and followers:  # a ``WITH`` fills in no Python-side default
        values = with_defaults(table, values)
    keys = tuple(values)
    cache_key = (model, dialect, keys, column, prefix, digits)
    prepared = _NUMBERED.get(cache_key)
    if prepared is None:
        (id_column,) = table.primary_key.columns
        given = [bindparam(key, type_=table.c[key].type) for key in keys]
        if dialect == "postgresql":
            sequence = func.pg_get_serial_sequence(table.name, id_column.name)
            next_id: Any = select(func.nextval(sequence).label("id")).cte("next_id")
            text = sql_cast(next_id.c.id, Text)
            padded = func.lpad(text, func.greatest(digits, func.length(text)), "0")
        else:
            largest = func.coalesce(func.max(id_column), 0) + 1
            next_id = select(largest.label("id")).subquery("next_id")
            padded = func.printf(f"%0{digits}d", next_id.c.id)
        source = select(next_id.c.id, literal(prefix) + padded, *given)
        prepared = _NUMBERED[cache_key] = (
            insert(table)
            .from_select([id_column.name, column, *keys], source)
            .returning(*table.columns),
            _attribute_names(mapper, table),
        )
    row = await execute_followed(session, prepared[0], dict(values), followers)
    assert row is not None  # an insert of a row returns it
    return _adopted(session, model, prepared[1], row)


async def execute_followed(
    session: AsyncSession,
    statement: Insert | Update,
    parameters: Mapping[str, Any],
    followers: Sequence[Follower],
) -> Row[Any] | None:
    """``statement`` (an insert or update returning its row's columns, at most one row)
    and its ``followers``, rows inserted after it that take columns of its row (a history
    event's ``task_id``, an audit entry's ``entity_id``). On PostgreSQL one statement: the
    row's a data-modifying ``WITH``, each follower an ``INSERT … SELECT`` from it (one round
    trip for all, and a statement that may go alone, ``transactions.statement_alone``); on
    SQLite a statement each (no round trips to save). → the row, or None when the statement
    found none (and no follower was written)."""
    if not followers:
        return (await session.execute(statement, dict(parameters))).first()
    if session.get_bind().dialect.name != "postgresql":
        row = (await session.execute(statement, dict(parameters))).first()
        if row is not None:
            for follower in followers:
                taken = {k: row._mapping[source] for k, source in follower.from_row.items()}
                await session.execute(
                    _follower_insert(follower.table), {**follower.values, **taken}
                )
        return row
    followers = [  # inside a ``WITH`` the columns' Python-side defaults are not filled in
        Follower(f.table, with_defaults(f.table, f.values, but=f.from_row), f.from_row)
        for f in followers
    ]
    key = (statement, tuple(f.shape() for f in followers))
    one = _FOLLOWED.get(key)
    if one is None:
        one = _FOLLOWED[key] = _with_followers(statement, followers)
    values = dict(parameters)
    for n, follower in enumerate(followers):
        values |= {f"f{n}_{k}": v for k, v in follower.values.items()}
    found: Row[Any] | None = (await session.execute(one, values)).first()
    return found


def with_defaults(
    table: Table, values: Mapping[str, Any], *, but: Collection[str] = ()
) -> dict[str, Any]:
    """``values`` with the Python-side default of each column of ``table`` they lack (but
    the columns ``but`` names): what an insert of its own fills in, and an insert inside a
    ``WITH`` does not."""
    missing: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in values or column.key in but or default is None:
            continue
        if getattr(default, "is_scalar", False):
            missing[column.key] = getattr(default, "arg", None)
        elif getattr(default, "is_callable", False):
            missing[column.key] = default.arg(None)  # type: ignore[attr-defined]
    return {**values, **missing}


def _with_followers(statement: Insert | Update, followers: Sequence[Follower]) -> Select[Any]:
    """PostgreSQL's one statement: ``statement`` as a ``WITH``, each follower an
    ``INSERT … SELECT`` from it; → the row's columns."""
    new = statement.cte("new")
    inserts = []
    for n, follower in enumerate(followers):
        table = follower.table
        given = [bindparam(f"f{n}_{k}", type_=table.c[k].type) for k in follower.values]
        taken = [new.c[source] for source in follower.from_row.values()]
        inserts.append(
            insert(table)
            .from_select([*follower.values, *follower.from_row], select(*given, *taken))
            .cte(f"f{n}")
        )
    return select(*new.c).add_cte(*inserts)


def _follower_insert(table: Table) -> Insert:
    found = _FOLLOWER_INSERTS.get(table.name)
    if found is None:
        found = _FOLLOWER_INSERTS[table.name] = insert(table)
    return found


# (table, the columns set, the parameters' prefix, whether it returns the row) → the update
_BY_ID: dict[tuple[str, tuple[str, ...], str, bool], Update] = {}


def update_by_id(
    table: Table, columns: tuple[str, ...], *, prefix: str, returning: bool = False
) -> Update:
    """An update of ``columns`` of ``table``'s row by its ``id``, built once for each set:
    the parameters are ``<prefix>id`` and ``<prefix><column>`` (a prefix keeps them apart
    from the columns' own names, and from other statements' in one ``WITH``);
    ``returning``: the row's every column back (for :func:`execute_followed`)."""
    key = (table.name, columns, prefix, returning)
    found = _BY_ID.get(key)
    if found is None:
        found = (
            update(table)
            .where(table.c.id == bindparam(f"{prefix}id", type_=table.c.id.type))
            .values({c: bindparam(f"{prefix}{c}", type_=table.c[c].type) for c in columns})
        )
        if returning:
            found = found.returning(*table.columns)
        _BY_ID[key] = found
    return found


def _attribute_names(mapper: orm.Mapper[Any], table: Table) -> dict[str, str]:
    """Each column of ``table`` (by its name in a returned row) → its attribute's name."""
    return {c.key: mapper.get_property_by_column(c).key for c in table.columns}


def adopt_row(session: AsyncSession, model: type[_M], row: Row[Any]) -> _M:
    """The object of ``row`` (every column of ``model``'s table, as a statement returned
    them), adopted: in the session as if read."""
    mapper = inspect(model)
    names = _NAMES.get(model)
    if names is None:
        names = _NAMES[model] = _attribute_names(mapper, cast(Table, mapper.local_table))
    return _adopted(session, model, names, row)


_NAMES: dict[type[Base], dict[str, str]] = {}


def _adopted(session: AsyncSession, model: type[_M], names: Mapping[str, str], row: Row[Any]) -> _M:
    """The object of an inserted ``row`` (every column of the table), adopted."""
    instance = as_loaded(model, {names[key]: value for key, value in row._mapping.items()})
    adopt(session, instance)
    return instance


def as_loaded(model: type[_M], values: Mapping[str, Any]) -> _M:
    """An object of ``model`` with these attributes' values, built as the ORM builds the
    object of a row it reads: no constructor and no change events (about 3 µs for thirty
    columns here, against about 90 through the constructor, which records each as a
    change). Transient until :func:`adopt` or ``make_transient_to_detached`` and
    ``Session.add``; the values are what the object holds, not changes to flush."""
    instance: _M = orm.class_mapper(model).class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


# (model, the changed attributes) → its prepared update, and each attribute's parameter
_UPDATES: dict[tuple[type[Base], frozenset[str]], tuple[Update, dict[str, str]]] = {}
_KEY = "marketdesk_rows_key"


async def write_changes(session: AsyncSession, instance: Base) -> bool:
    """Write the changed columns of ``instance`` (persistent, with a one-column primary key)
    with one prepared ``UPDATE`` by its key, and leave it clean: the flush at the commit has
    nothing left to do for it. False, and nothing written, when the flush has to do it:
    nothing changed, the object is new or deleted, or a relationship changed."""
    state = inspect(instance)
    changed = state.committed_state
    if not changed or state.key is None or state.deleted or state.session_id is None:
        return False
    mapper = state.mapper
    keys = frozenset(changed)
    prepared = _UPDATES.get((mapper.class_, keys))
    if prepared is None:
        if len(mapper.primary_key) != 1:
            return False
        columns = {}
        for key in keys:
            prop = mapper.attrs.get(key)
            if not isinstance(prop, orm.ColumnProperty) or len(prop.columns) != 1:
                return False
            columns[key] = prop.columns[0]
        table = cast(Table, mapper.local_table)
        key_column = mapper.primary_key[0]
        if key_column in columns.values():  # a new identity: the flush's business
            return False
        parameters = {key: f"new_{column.key}" for key, column in columns.items()}
        statement = (
            update(table)
            .where(key_column == bindparam(_KEY, type_=key_column.type))
            .values({columns[key]: bindparam(name) for key, name in parameters.items()})
        )
        prepared = _UPDATES[(mapper.class_, keys)] = (statement, parameters)
    statement, parameters = prepared
    values = state.dict
    arguments = {name: values.get(key) for key, name in parameters.items()}
    arguments[_KEY] = state.key[1][0]
    with session.sync_session.no_autoflush:  # (the object itself is what it would flush)
        await session.execute(statement, arguments)
    # what the flush does once it has written an object: its state is the committed one
    state._commit_all(values, session.sync_session.identity_map)
    return True


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
