"""The notification tests share the chat tests' environment (a migrated demo database and
an app on it): ``env`` per module, ``fresh_env`` per test."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.chat.conftest import env, fresh_env  # noqa: F401
from tests.conftest import TestDatabase, backends, prepare, run_db


class Db:
    """A migrated demo database without a server (no worker races the test's deliveries)."""

    def __init__(self, db: TestDatabase) -> None:
        self.db = db
        self.url = db.url

    def run(self, work: Callable[[Any], Any]) -> Any:
        return run_db(self.db, work)


@pytest.fixture(scope="module", params=backends())
def db(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[Db]:
    database = make_database(request.param)
    prepare(database.url)
    yield Db(database)
