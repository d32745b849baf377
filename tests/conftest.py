"""Shared fixtures: every database-backed test runs on SQLite, and also on PostgreSQL when
MARKETDESK_TEST_DATABASE_URL is set (each run gets its own fresh PostgreSQL database)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from marketdesk.cli import _prepare as serve_prepare
from marketdesk.server import create_app
from marketdesk.services.demo import load_demo
from marketdesk.settings import Settings, normalize_database_url
from marketdesk.store.db import Database
from marketdesk.store.migrate import upgrade
from marketdesk.store.postgres import admin_execute, create_database, drop_database

DEMO_PASSWORD = "demo-password-for-tests"
ROLES = ("operator", "backoffice", "supervisor", "admin")
PG_ENV = "MARKETDESK_TEST_DATABASE_URL"
TEST_RATE_LIMIT_SCALE = 1000.0


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


# --------------------------------------------------------------------------- pytest-xdist
# ``tools/dev.py test`` runs the whole suite in one process per core (``-n N --dist
# loadgroup``). A worker is handed a module's tests of one backend at a time (or an
# ``xdist_group`` of tests that must share a process): its module fixtures are made once,
# and the session's database of each backend (``demo_db``, ``client``) is not torn down and
# made again at every module. The modules with slow or browser tests are handed out first,
# so that the longest pieces do not start last while the other processes wait.

_BACKEND_IDS = frozenset({"sqlite", "postgresql"})


def _work_unit(nodeid: str) -> str:
    """A test's unit of work: its group if it has one, else its module and backend."""
    if "@" in nodeid.rpartition("]")[2]:  # xdist_group(name): "@name" after the test's id
        return nodeid.rsplit("@", 1)[1]
    module, _, rest = nodeid.partition("::")
    params = rest[rest.find("[") + 1 : -1] if rest.endswith("]") and "[" in rest else ""
    backend = next((p for p in params.split("-") if p in _BACKEND_IDS), "")
    return f"{module}[{backend}]" if backend else module


try:
    from xdist.scheduler import LoadGroupScheduling
except ImportError:  # pytest-xdist is not installed: the suite runs in one process
    pass
else:

    class _ModuleBackendScheduling(LoadGroupScheduling):
        """xdist's ``loadgroup`` with a module and backend as the default unit of work, in
        the order of the collection (slow modules first, see below)."""

        def __init__(self, config: pytest.Config, log: object = None) -> None:
            super().__init__(config, log)  # type: ignore[arg-type]
            config.option.loadscopereorder = False

        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(
        config: pytest.Config, log: object
    ) -> LoadGroupScheduling | None:
        if config.getoption("dist", None) != "loadgroup":
            return None
        return _ModuleBackendScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Iterator[None]:
    result = yield
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker: its order is the work's order
        slow = {
            _work_unit(item.nodeid)
            for item in items
            if item.get_closest_marker("slow") or item.get_closest_marker("browser")
        }
        items.sort(key=lambda item: _work_unit(item.nodeid) not in slow)  # stable
    return result


class TestDatabase:
    """A fresh, empty database of one backend, dropped at the end."""

    __test__ = False  # a helper, not a test class (test modules import it)

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        if backend == "sqlite":
            self.url = f"sqlite+aiosqlite:///{tmp / 'test.db'}"
            self.name = None
        else:
            self.name = f"marketdesk_test_{uuid.uuid4().hex[:12]}"
            self.url = asyncio.run(create_database(os.environ[PG_ENV], self.name))

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": self.tmp,
            "database_url": self.url,
            "demo_password": DEMO_PASSWORD,
            # the suite drives many chats from one client: generous limits (tests of the
            # limits themselves give their own, tests/api/test_rate_limits.py)
            "rate_limit_scale": TEST_RATE_LIMIT_SCALE,
            "open_conversations_per_line": 1000,
        }
        values.update(overrides)
        return Settings(**values)

    def drop(self) -> None:
        if self.name:
            asyncio.run(drop_database(os.environ[PG_ENV], self.name))


@pytest.fixture(scope="session")
def make_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], TestDatabase]]:
    created: list[TestDatabase] = []

    def make(backend: str) -> TestDatabase:
        db = TestDatabase(backend, tmp_path_factory.mktemp(backend))
        created.append(db)
        return db

    yield make
    for db in created:
        db.drop()


Kind = Literal["empty", "demo", "serve"]


def _migrate(url: str, kind: Kind) -> None:
    """empty: the migrations; demo: and the demo data; serve: what ``marketdesk serve`` does
    to a new database (the demo data and the generated history of the reports)."""

    async def main() -> None:
        database = Database(normalize_database_url(url))
        try:
            if kind == "serve":
                settings = Settings(
                    data_dir=Path(tempfile.gettempdir()), demo_password=DEMO_PASSWORD
                )
                with contextlib.redirect_stdout(io.StringIO()):  # its «demo loaded» lines
                    await serve_prepare(database, settings)
                return
            await upgrade(database)
            if kind == "demo":
                async with database.sessions() as session:
                    await load_demo(session, password=DEMO_PASSWORD)
        finally:
            await database.dispose()

    asyncio.run(main())


class _Templates:
    """A migrated database of each kind, made once per backend and test process: a new,
    empty database gets a copy of it instead of running the migrations, loading the demo
    data and generating its history again (a file copy on SQLite, ``CREATE DATABASE …
    TEMPLATE`` on PostgreSQL). Each copy is a database of its own, as before. The demo data
    is dated when it is loaded: a template whose data carries a history (``serve``) is made
    again when it is older than ``MAX_AGE`` seconds."""

    MAX_AGE: ClassVar[dict[str, float | None]] = {"empty": None, "demo": 600.0, "serve": 600.0}

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.made: dict[tuple[str, Kind], tuple[str, float]] = {}  # → (file or name, when)

    def _fresh(self, backend: str, kind: Kind) -> str | None:
        made = self.made.get((backend, kind))
        if made is None:
            return None
        limit = self.MAX_AGE[kind]
        if limit is not None and time.monotonic() - made[1] > limit:
            self._drop(backend, made[0])
            del self.made[(backend, kind)]
            return None
        return made[0]

    def sqlite_file(self, kind: Kind) -> Path:
        found = self._fresh("sqlite", kind)
        if found is None:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="marketdesk-templates-"))
            path = self.folder / f"{kind}-{uuid.uuid4().hex[:8]}.db"
            _migrate(f"sqlite+aiosqlite:///{path}", kind)
            found = str(path)
            self.made[("sqlite", kind)] = (found, time.monotonic())
        return Path(found)

    def postgresql_name(self, kind: Kind) -> str:
        found = self._fresh("postgresql", kind)
        if found is None:
            found = f"marketdesk_template_{uuid.uuid4().hex[:12]}"
            _migrate(asyncio.run(create_database(os.environ[PG_ENV], found)), kind)
            self.made[("postgresql", kind)] = (found, time.monotonic())
        return found

    def _drop(self, backend: str, made: str) -> None:
        if backend == "postgresql":
            asyncio.run(drop_database(os.environ[PG_ENV], made))
        else:
            Path(made).unlink(missing_ok=True)

    def drop(self) -> None:
        for (backend, _), (made, _) in self.made.items():
            self._drop(backend, made)
        self.made.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_templates = _Templates()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _templates.drop()


def _copy_sqlite(target: Path, kind: Kind) -> bool:
    if not target.parent.is_dir() or (target.exists() and target.stat().st_size > 0):
        return False  # not a new database: migrate it in place
    shutil.copy2(_templates.sqlite_file(kind), target)  # its engine is closed: no WAL left
    return True


async def _empty_postgresql(url: str) -> bool:
    database = Database(normalize_database_url(url))
    try:
        async with database.engine.connect() as connection:
            found = await connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
            return int(found.scalar_one()) == 0
    finally:
        await database.dispose()


def _copy_postgresql(url: str, kind: Kind) -> bool:
    server = os.environ.get(PG_ENV)
    name = make_url(url).database
    if not server or not name or not asyncio.run(_empty_postgresql(url)):
        return False
    template = _templates.postgresql_name(kind)
    asyncio.run(drop_database(server, name))
    asyncio.run(admin_execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return True


def copy_template(url: str, kind: Kind) -> bool:
    """Make the new, empty database at ``url`` a copy of the template of ``kind`` → whether
    it was (a database that is not new is left as it is)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return _copy_sqlite(Path(parsed.database), kind)
    if parsed.get_backend_name() == "postgresql":
        return _copy_postgresql(url, kind)
    return False


def prepare(url: str, *, demo: bool = True) -> None:
    """Migrate a new database to the head (with the demo data unless ``demo=False``)."""
    kind: Kind = "demo" if demo else "empty"
    if not copy_template(url, kind):
        _migrate(url, kind)


@pytest.fixture(scope="session", params=backends())
def demo_db(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> TestDatabase:
    """A migrated database with the demo data, shared by the tests of one backend."""
    db = make_database(request.param)
    prepare(db.url)
    return db


@pytest.fixture(scope="module", params=backends())
def database_url(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[str]:
    """A demo database of each backend for one module's tests alone (the chat's transaction
    scripts against the general path, the quick reads against the engine's)."""
    db = make_database(request.param)
    prepare(db.url)
    yield db.url


@pytest.fixture(scope="session")
def client(demo_db: TestDatabase) -> Iterator[TestClient]:
    app = create_app(demo_db.settings())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def tokens(client: TestClient, demo_db: TestDatabase) -> dict[str, str]:
    """A bearer token for every kind of user: each operator role, a customer, a visitor."""
    result = {}
    for login in ROLES:
        response = client.post(
            "/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        result[login] = response.json()["token"]

    async def customer_token() -> str:
        from datetime import timedelta

        from marketdesk.services.auth import create_visitor, token_for_customer

        database = Database(demo_db.url)
        try:
            async with database.sessions() as session:
                result["visitor"] = await create_visitor(session, ttl=timedelta(hours=1))
                return await token_for_customer(session, 58561573, ttl=timedelta(hours=1))
        finally:
            await database.dispose()

    result["customer"] = asyncio.run(customer_token())
    return result


def wait_for(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    """Wait until ``condition()`` (another process or thread gets there); a bound on a hang,
    failing with ``what`` was waited for."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_db(db: TestDatabase, work):
    """Run ``await work(session)`` against the test database, in a fresh engine."""

    async def main():
        database = Database(db.url)
        try:
            async with database.sessions() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


_next_customer = iter(range(70_000_001, 80_000_000))


@pytest.fixture
def new_customer(demo_db: TestDatabase) -> Callable[..., tuple[int, str]]:
    """Create a customer of its own for a test (with optional rubles entries and a login
    phone) → (id, token)."""
    from datetime import date, timedelta

    from marketdesk.services.auth import token_for_customer
    from marketdesk.store.models import BalanceEntry, Customer

    def make(
        kind: str = "individual",
        rubles: tuple[tuple[int, str], ...] = (),
        phone: str | None = None,
    ) -> tuple[int, str]:
        customer_id = next(_next_customer)

        async def work(session):
            session.add(
                Customer(
                    id=customer_id,
                    full_name=f"Тестовый покупатель {customer_id}",
                    registered_on=date(2024, 1, 1),
                    kind=kind,
                    phone=phone,
                )
            )
            await session.flush()
            for amount_rub, source in rubles:
                session.add(
                    BalanceEntry(
                        customer_id=customer_id,
                        kind="rubles",
                        amount=amount_rub * 100,
                        source=source,
                    )
                )
            await session.commit()
            return await token_for_customer(session, customer_id, ttl=timedelta(hours=1))

        return customer_id, run_db(demo_db, work)

    return make


@pytest.fixture
def issue_code(demo_db: TestDatabase) -> Callable[..., str]:
    """Issue a gift-certificate code with the same secret the test app uses."""
    from marketdesk.services.certificates import issue_certificate

    def make(nominal_rub: int = 3000, expires_at=None, kind: str = "electronic") -> str:
        secret = demo_db.settings().hashing_secret()

        async def work(session):
            issued = await issue_certificate(
                session,
                nominal_rub=nominal_rub,
                kind=kind,
                secret=secret,
                expires_at=expires_at,
            )
            return issued.code

        return run_db(demo_db, work)

    return make
