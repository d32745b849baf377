"""Fixtures of the webhook tests: an app of their own with quick retries (a worker that
polls every 50 ms, a backoff of 50–200 ms, three tries), and a real HTTP receiver on
127.0.0.1 (the standard library's ``http.server`` in a thread) that answers what the test
tells it to and records every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.server import create_app
from tests.chat.conftest import ChatEnv
from tests.conftest import DEMO_PASSWORD, ROLES, TestDatabase, backends, prepare


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """What arrived, and the statuses to answer (``plan`` first, then ``default``)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    default: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.plan.pop(0) if self.plan else self.default

    def delivered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def wait_for(self, done: Callable[[Receiver], bool], timeout: float = 30.0) -> None:
        """Until ``done(self)`` (the worker runs in the app's thread); fails after
        ``timeout`` seconds — a bound on a hang, not a measurement."""
        deadline = time.monotonic() + timeout
        while not done(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got {len(self.requests)} requests only")
            time.sleep(0.02)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = receiver.answer()
            with receiver.lock:
                receiver.requests.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                    )
                )
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return None

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fresh HTTP receiver on 127.0.0.1 (an ephemeral port), stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver("")))
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class HooksEnv(ChatEnv):
    def __init__(self, db: TestDatabase, client: TestClient, tokens: dict[str, str]) -> None:
        super().__init__(db, client)
        self.tokens = tokens

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def subscribe(self, url: str, events: list[str]) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/webhooks", json={"url": url, "events": events}, headers=self.as_("admin")
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def unsubscribe(self, webhook_id: int) -> None:
        response = self.client.delete(f"/api/v1/webhooks/{webhook_id}", headers=self.as_("admin"))
        assert response.status_code == 204, response.text

    def deliveries(self, webhook_id: int) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/api/v1/webhooks/{webhook_id}/deliveries", headers=self.as_("admin")
        )
        assert response.status_code == 200, response.text
        return list(response.json()["deliveries"])


@pytest.fixture(scope="module", params=backends())
def hooks(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[HooksEnv]:
    db = make_database(request.param)
    prepare(db.url)
    settings = db.settings(
        webhook_backoff_seconds=0.05,
        webhook_backoff_max_seconds=0.2,
        webhook_poll_seconds=0.05,
        webhook_max_attempts=3,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        tokens: dict[str, str] = {}
        for login in ROLES:
            response = client.post(
                "/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            tokens[login] = response.json()["token"]
        env = HooksEnv(db, client, tokens)
        tokens["visitor"] = env.visitor()
        tokens["customer"] = env.customer()[1]
        yield env
