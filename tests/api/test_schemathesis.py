"""Property-based run of schemathesis over the whole OpenAPI document (issue 18): as an
operator, a supervisor and a customer, every operation, a few generated requests each.
Zero server errors (5xx) and zero statuses the document does not list.

The app runs in-process (schemathesis' ASGI transport runs its lifespan) on a database of
its own, so what the generated requests change (closed chats, taken tasks) touches no other
test. Bounded: ``MAX_EXAMPLES`` requests per operation and caller."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from marketdesk.server import create_app
from marketdesk.services.auth import token_for_customer, token_for_operator
from marketdesk.store.db import Database
from tests.conftest import backends, prepare

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

MAX_EXAMPLES = 8
CALLERS = ("operator", "supervisor", "customer")
# these end the caller's own session: every later request of the run would be a 401
SKIPPED = {("POST", "/api/v1/auth/logout")}


@pytest.fixture(scope="module", params=backends())
def api(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> tuple[Any, dict[str, str], str]:
    db = make_database(request.param)
    prepare(db.url)

    async def tokens() -> dict[str, str]:
        database = Database(db.url)
        ttl = timedelta(hours=1)
        try:
            async with database.sessions() as session:
                return {
                    "operator": await token_for_operator(session, "operator", ttl=ttl),
                    "supervisor": await token_for_operator(session, "supervisor", ttl=ttl),
                    "customer": await token_for_customer(session, 58561573, ttl=ttl),
                }
        finally:
            await database.dispose()

    app = create_app(db.settings())
    return app, asyncio.run(tokens()), str(request.param)


def _run(operation: Any, tokens: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded in time
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        for caller in CALLERS:  # the same request from each
            case.call_and_validate(
                headers={"Authorization": f"Bearer {tokens[caller]}"},
                checks=[not_a_server_error, status_code_conformance],
            )

    run()


@pytest.mark.slow
def test_no_server_errors_and_no_undocumented_statuses(
    api: tuple[Any, dict[str, str], str],
) -> None:
    app, tokens, _backend = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    count = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SKIPPED:
            continue
        count += 1
        try:
            _run(operation, tokens)
        except BaseException as exc:  # a failure, or a group of them
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{key[0]} {key[1]}: {str(exc)[:2000]}")
    assert count > 50
    assert not failures, "\n\n".join(failures)
