"""Who a bearer token is (``auth.authenticate``, no cache): an operator with their roles, a
customer by name, a visitor, each read in one statement; a deactivated operator, a revoked or
expired session and an unknown token are refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from marketdesk.services import auth
from marketdesk.services.errors import ServiceError
from marketdesk.store.db import Database
from marketdesk.store.models import Customer, Operator, OperatorRole, Session, Visitor
from marketdesk.store.quick_reads import QuickQuery
from tests.conftest import TestDatabase, backends, prepare

HOUR = timedelta(hours=1)


@pytest.fixture(params=backends())
def db(request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]) -> str:
    database = make_database(request.param)
    prepare(database.url, demo=False)
    return database.url


async def _tokens(database: Database) -> dict[str, Any]:
    async with database.sessions() as session:
        operator = Operator(login="auth-op", password_hash="x", full_name="Ирина Смирнова")
        customer = Customer(
            id=9_100_001,
            full_name="Пётр Иванов",
            phone="+79990001122",
            registered_on=date(2024, 5, 1),
        )
        visitor = Visitor(id="v-auth")
        session.add_all([operator, customer, visitor])
        await session.flush()
        session.add_all(
            OperatorRole(operator_id=operator.id, role=role) for role in ("supervisor", "operator")
        )
        await session.commit()
        tokens = {
            "operator": await auth.issue_token(session, operator_id=operator.id, ttl=HOUR),
            "customer": await auth.issue_token(session, customer_id=customer.id, ttl=HOUR),
            "visitor": await auth.issue_token(session, visitor_id=visitor.id, ttl=HOUR),
            "revoked": await auth.issue_token(session, customer_id=customer.id, ttl=HOUR),
        }
        await session.commit()
        await session.execute(
            update(Session)
            .where(Session.token_hash == auth.token_hash(tokens["revoked"]))
            .values(revoked_at=auth.utcnow())
        )
        await session.commit()
        return {**tokens, "operator_id": operator.id, "customer_id": customer.id}


def test_each_kind_of_caller_is_known_in_one_statement(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    # the statements the engine runs, and those run on a driver's connection directly
    # (``store.quick_reads``: SQLite's file, PostgreSQL's before the session's BEGIN)
    for name in ("all", "fetch_all"):
        real = getattr(QuickQuery, name)

        def counted(self: QuickQuery, *args: Any, _real: Any = real, _name: str = name) -> Any:
            statements.append(f"quick read ({_name})")
            return _real(self, *args)

        monkeypatch.setattr(QuickQuery, name, counted)

    async def main() -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
        database = Database(db)
        try:
            made = await _tokens(database)
            event.listen(
                database.engine.sync_engine,
                "before_cursor_execute",
                lambda *args: statements.append(args[2]),
            )
            found: dict[str, Any] = {}
            counts: dict[str, int] = {}
            for kind in ("operator", "customer", "visitor"):
                statements.clear()
                async with database.sessions() as session:
                    found[kind] = await auth.authenticate(session, made[kind])
                counts[kind] = len(statements)
            return made, found, counts
        finally:
            await database.dispose()

    made, found, counts = asyncio.run(main())
    operator, customer, visitor = found["operator"], found["customer"], found["visitor"]
    assert (operator.kind, operator.id, operator.name) == (
        "operator",
        made["operator_id"],
        "Ирина Смирнова",
    )
    assert operator.roles == frozenset({"supervisor", "operator"})
    assert (customer.kind, customer.id, customer.name) == (
        "customer",
        made["customer_id"],
        "Пётр Иванов",
    )
    assert customer.roles == frozenset()
    assert (visitor.kind, visitor.id) == ("visitor", "v-auth")
    assert all(p.session_id for p in (operator, customer, visitor))
    assert counts == {"operator": 1, "customer": 1, "visitor": 1}
    # neither database reads it through the engine (``tests/store/test_quick_reads.py``)
    assert all(s.startswith("quick read") for s in statements), statements


def test_refused_deactivated_revoked_expired_and_unknown(db: str) -> None:
    async def main() -> list[str]:
        database = Database(db)
        codes: list[str] = []
        try:
            made = await _tokens(database)
            async with database.sessions() as session:
                await session.execute(
                    update(Operator)
                    .where(Operator.id == made["operator_id"])
                    .values(is_active=False)
                )
                await session.commit()
            cases = [
                (made["operator"], None),
                (made["revoked"], None),
                (made["customer"], auth.utcnow() + 2 * HOUR),  # past its expiry
                ("not-a-token", None),
            ]
            for token, now in cases:
                async with database.sessions() as session:
                    try:
                        await auth.authenticate(session, token, now=now)
                    except ServiceError as error:  # one code for all («invalid_token»)
                        codes.append(f"{error.code}:{type(error).__name__}")
                    else:
                        codes.append("accepted")
        finally:
            await database.dispose()
        return codes

    codes = asyncio.run(main())
    assert codes[0] == "invalid_token:AccountDisabled"
    assert codes[1:] == ["invalid_token:SessionExpired"] * 3
