"""Quick reads (``store.quick_reads``): a statement run on the SQLite file's plain
connection, or on a session's asyncpg connection, gives what the engine gives, value for
value and type for type; the principal behind a token is read so with no transaction begun
for it (SQLite: through the session inside one; PostgreSQL: inside the session's one)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select

from marketdesk.services import auth
from marketdesk.services.errors import ServiceError
from marketdesk.store.db import Database, postgres_reads_of, quick_reads_of
from marketdesk.store.models import Customer, Session
from marketdesk.store.quick_reads import QuickQuery
from tests.conftest import TestDatabase, backends, prepare

TTL = timedelta(hours=1)


@pytest.fixture(scope="module")
def sqlite_url(make_database: Callable[[str], TestDatabase]) -> Iterator[str]:
    db = make_database("sqlite")
    prepare(db.url)
    yield db.url


async def _tokens(database: Database) -> dict[str, str]:
    async with database.sessions() as session:
        customer_id = await session.scalar(select(Customer.id).order_by(Customer.id))
        assert customer_id is not None
        return {
            "operator": await auth.token_for_operator(session, "operator", ttl=TTL),
            "customer": await auth.token_for_customer(session, customer_id, ttl=TTL),
            "visitor": await auth.create_visitor(session, ttl=TTL),
        }


async def _read_quickly(session: Any, quick: QuickQuery, parameters: dict[str, Any]) -> Any:
    """``quick``'s first row the way its database reads quickly: SQLite's file outside a
    transaction, PostgreSQL's session connection before its ``BEGIN``."""
    found = quick_reads_of(session)
    if found is not None:
        rows = quick.all(*found, parameters)
    else:
        on_postgresql = await postgres_reads_of(session)
        assert on_postgresql is not None, (
            "a session of a SQLite file or of PostgreSQL reads quickly"
        )
        assert not on_postgresql[0].is_in_transaction()
        rows = await quick.fetch_all(*on_postgresql, parameters)
    return rows[0] if rows else None


def test_a_quick_read_gives_what_the_engine_gives(database_url: str) -> None:
    async def main() -> None:
        database = Database(database_url)
        try:
            tokens = await _tokens(database)
            statement = auth._SESSION_BY_TOKEN
            quick = QuickQuery(statement)
            for kind, token in tokens.items():
                parameters = {"token_hash": auth.token_hash(token)}
                async with database.sessions() as session:
                    quick_row = await _read_quickly(session, quick, parameters)
                    engine_row = (await session.execute(statement, parameters)).one()
                    assert quick_reads_of(session) is None  # in a transaction now
                assert quick_row is not None
                assert tuple(quick_row) == tuple(engine_row), kind
                assert [type(v) for v in quick_row] == [type(v) for v in engine_row], kind
                assert quick_row._fields == tuple(engine_row._fields)
                # the types the engine makes: an aware datetime in UTC, a boolean
                assert isinstance(quick_row.expires_at, datetime)
                assert quick_row.expires_at.utcoffset() == timedelta(0)
                if kind == "operator":
                    assert quick_row.operator_active is True
                assert auth._principal_of(quick_row) == auth._principal_of(engine_row)
            missing = {"token_hash": auth.token_hash("no such token")}
            async with database.sessions() as session:
                assert await _read_quickly(session, quick, missing) is None
        finally:
            await database.dispose()

    asyncio.run(main())


def test_parameters_a_quick_read_cannot_take_as_they_are_are_refused(sqlite_url: str) -> None:
    statement = select(Session.id).where(
        Session.expires_at > bindparam("now", type_=Session.expires_at.type)
    )

    async def main() -> None:
        database = Database(sqlite_url)
        try:
            async with database.sessions() as session:
                found = quick_reads_of(session)
                assert found is not None
                with pytest.raises(TypeError, match="now"):
                    QuickQuery(statement).all(*found, {"now": datetime.now(UTC)})
        finally:
            await database.dispose()

    asyncio.run(main())


def test_the_principal_is_read_quickly_outside_a_transaction_only(sqlite_url: str) -> None:
    async def main() -> None:
        database = Database(sqlite_url)
        statements: list[str] = []

        def record(_c: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements.append(sql)

        try:
            tokens = await _tokens(database)
            event.listen(database.engine.sync_engine, "before_cursor_execute", record)
            for kind, token in tokens.items():
                async with database.sessions() as session:
                    principal = await auth.authenticate(session, token)
                    assert principal.kind == kind
                    assert not session.in_transaction()  # nothing begun for it
                assert statements == []
                async with database.sessions() as session:
                    await session.get(Customer, 1)  # a transaction begun: its own read
                    assert (await auth.authenticate(session, token)) == principal
                assert any("sessions.token_hash" in s for s in statements)
                statements.clear()
            # an ended session is refused on the quick read as on the session's
            async with database.sessions() as session:
                await auth.logout(session, await auth.authenticate(session, tokens["visitor"]))
            async with database.sessions() as session:
                with pytest.raises(ServiceError):
                    await auth.authenticate(session, tokens["visitor"])
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", record)
            await database.dispose()

    asyncio.run(main())


@pytest.mark.parametrize("backend", backends())
def test_quick_reads_are_sqlites_only(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    db = make_database(backend)
    prepare(db.url, demo=False)

    async def main() -> bool:
        database = Database(db.url)
        try:
            async with database.sessions() as session:
                return quick_reads_of(session) is not None
        finally:
            await database.dispose()

    assert asyncio.run(main()) == (backend == "sqlite")


def _postgresql(url: str) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("the driver's read on a session's connection is PostgreSQL's")


def test_on_postgresql_the_principal_is_read_before_the_sessions_transaction(
    database_url: str,
) -> None:
    """No ``BEGIN`` for the principal: the session's connection is not in a transaction
    after it (nor does its end send a ``ROLLBACK``); a session that wrote reads it inside
    its transaction, seeing what it wrote; a failing driver read falls back to the
    session's."""
    _postgresql(database_url)

    async def main() -> None:
        database = Database(database_url)
        try:
            tokens = await _tokens(database)
            for kind, token in tokens.items():
                async with database.sessions() as session:
                    principal = await auth.authenticate(session, token)
                    assert principal.kind == kind
                    found = await postgres_reads_of(session)
                    assert found is not None
                    assert not found[0].is_in_transaction()
            async with database.sessions() as session:
                # a token of this transaction, not committed: found inside it
                customer_id = await session.scalar(select(Customer.id).order_by(Customer.id))
                token = await auth.issue_token(session, customer_id=customer_id, ttl=TTL)
                found = await postgres_reads_of(session)
                assert found is not None and found[0].is_in_transaction()
                assert (await auth.authenticate(session, token)).kind == "customer"
                await session.rollback()
            async with database.sessions() as session:
                with pytest.raises(ServiceError):  # rolled back: no such session
                    await auth.authenticate(session, token)
        finally:
            await database.dispose()

    asyncio.run(main())


def test_a_failing_driver_read_falls_back_to_the_sessions_read(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgresql(database_url)
    import asyncpg

    calls: list[str] = []

    async def failing(*_args: Any) -> Any:
        calls.append("driver")
        raise asyncpg.InterfaceError("connection is closed")

    async def main() -> None:
        database = Database(database_url)
        try:
            token = (await _tokens(database))["customer"]
            monkeypatch.setattr(QuickQuery, "fetch_all", failing)
            async with database.sessions() as session:
                assert (await auth.authenticate(session, token)).kind == "customer"
                assert session.in_transaction()  # the session's own read
        finally:
            await database.dispose()

    asyncio.run(main())
    assert calls == ["driver"]
