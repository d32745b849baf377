"""Outages for real (issue 18): a database that stops answering makes API routes 503
``database_unavailable`` with ``Retry-After`` (not 500) until it is back; ``/readyz`` is 503
``not_ready`` while the database or a configured Redis is down, and ``/healthz`` (liveness
and the database) does not care about Redis.

The outages are real connection failures: the application reaches PostgreSQL or Redis
through a local TCP proxy that the test stops (every connection cut, new ones refused) and
starts again; SQLite is given a file it cannot open.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from starlette.websockets import WebSocketDisconnect

from marketdesk.api.errors import DATABASE_RETRY_AFTER
from marketdesk.server import create_app
from marketdesk.store.availability import database_unavailable
from tests.chat.servers import REDIS_URL, free_port, redis_available
from tests.conftest import DEMO_PASSWORD, PG_ENV, auth
from tests.errors import assert_error


class Proxy:
    """A TCP proxy on a port of its own to ``host:port``. ``stop()`` cuts every connection
    and refuses new ones; ``start()`` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> Proxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # stopped
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            # shutdown wakes the accepting thread (closing alone would not, on Linux)
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            cut, self._open = self._open, []
        for sock in cut:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def proxy_to(request: pytest.FixtureRequest) -> Iterator[Any]:
    proxies: list[Proxy] = []

    def make(host: str, port: int) -> Proxy:
        proxies.append(Proxy(host, port).start())
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.stop()


def _unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"] == {
        "code": "database_unavailable",
        "message": "База данных временно недоступна. Повторите запрос через несколько секунд.",
    }
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER)


def _not_ready(response: Any, down: list[str]) -> None:
    error = assert_error(response, 503, "not_ready")
    assert error["down"] == down
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER)


# --------------------------------------------------------------------------- /readyz


def test_readyz_without_redis_is_the_database(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    assert response.json()["checks"] == {
        "database": "ok",
        "redis": "not_configured",
        "migrations": "ok",
    }


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_readyz_follows_redis_down_and_back(demo_db: Any, proxy_to: Any) -> None:
    target = make_url(REDIS_URL)
    proxy = proxy_to(target.host or "127.0.0.1", target.port or 6379)
    url = f"redis://127.0.0.1:{proxy.port}/{target.database or 0}"
    app = create_app(demo_db.settings(redis_url=url))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "redis": "ok", "migrations": "ok"}

        proxy.stop()
        response = client.get("/readyz")
        _not_ready(response, ["redis"])
        assert response.json()["error"]["message"] == "Сервер не готов: Redis недоступен."
        assert response.json()["error"]["checks"] == {
            "database": "ok",
            "redis": "down",
            "migrations": "ok",
        }
        assert client.get("/healthz").status_code == 200  # alive, and the database answers
        assert client.post("/api/v1/visitors").status_code == 201  # the API still works

        proxy.start()
        response = client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"]["redis"] == "ok"


def test_readyz_with_redis_on_a_closed_port_is_not_ready(demo_db: Any) -> None:
    app = create_app(demo_db.settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    with TestClient(app, raise_server_exceptions=False) as client:
        _not_ready(client.get("/readyz"), ["redis"])
        assert client.get("/healthz").status_code == 200


# --------------------------------------------------------------------------- database outage


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason="PostgreSQL not configured")
def test_postgresql_outage_is_503_with_retry_after_and_recovers(
    make_database: Any, proxy_to: Any
) -> None:
    from tests.conftest import prepare

    db = make_database("postgresql")
    prepare(db.url)
    real = make_url(db.url)
    proxy = proxy_to(real.host or "127.0.0.1", real.port or 5432)
    through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(db.settings(database_url=through))
    with TestClient(app, raise_server_exceptions=False) as client:
        login = {"login": "operator", "password": DEMO_PASSWORD}
        token = client.post("/api/v1/auth/login", json=login).json()["token"]
        visitor = client.post("/api/v1/visitors").json()["token"]
        cid = client.post("/api/v1/conversations", json={}, headers=auth(visitor)).json()["id"]

        proxy.stop()  # every pooled connection cut, new ones refused
        for _ in range(2):  # a first failure does not leave the pool broken
            _unavailable(client.get("/api/v1/news", headers=auth(token)))
            _unavailable(client.post("/api/v1/auth/login", json=login))
            _unavailable(client.post("/api/v1/visitors"))
            _unavailable(
                client.post(
                    f"/api/v1/conversations/{cid}/messages",
                    json={"client_msg_id": "m1", "text": "Где мой заказ?"},
                    headers=auth(visitor),
                )
            )
        assert client.get("/healthz").status_code == 503
        _not_ready(client.get("/readyz"), ["database"])
        with client.websocket_connect(f"/ws/conversations/{cid}") as ws:
            ws.send_json({"type": "auth", "token": visitor})
            assert ws.receive_json()["code"] == "database_unavailable"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1013  # try again later, not 1011
        assert client.get("/readyz").json()["error"]["message"] == (
            "Сервер не готов: база данных недоступна."
        )

        proxy.start()
        assert client.get("/api/v1/news", headers=auth(token)).status_code == 200
        assert client.get("/readyz").status_code == 200
        sent = client.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"client_msg_id": "m1", "text": "Где мой заказ?"},
            headers=auth(visitor),
        )
        assert sent.status_code == 201, sent.text


def test_sqlite_file_that_cannot_be_opened_is_503(tmp_path: Path) -> None:
    from marketdesk.settings import Settings

    missing = tmp_path / "no-such-dir" / "marketdesk.db"
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{missing}", demo_password=DEMO_PASSWORD
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        _unavailable(client.post("/api/v1/visitors"))
        _unavailable(client.post("/api/v1/auth/login", json={"login": "admin", "password": "x"}))
        _unavailable(client.get("/api/v1/news", headers=auth("some-token")))
        _not_ready(client.get("/readyz"), ["database"])


def test_a_locked_sqlite_database_counts_as_unavailable(tmp_path: Path) -> None:
    """«database is locked» (a writer held the file beyond the busy timeout) is an outage
    to retry, not a bug; a missing table is a bug."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            other.execute("INSERT INTO t VALUES (1)")
        assert database_unavailable(locked.value)
        with pytest.raises(sqlite3.OperationalError) as missing:
            holder.execute("SELECT * FROM no_such_table")
        assert not database_unavailable(missing.value)
    finally:
        other.close()
        holder.close()
