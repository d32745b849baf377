"""Real ``marketdesk serve`` processes for the multi-process and crash tests."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.conftest import DEMO_PASSWORD, copy_template

MARKETDESK = Path(sys.executable).with_name("marketdesk")
REDIS_URL = os.environ.get("MARKETDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    """Whether the tests' Redis server answers (tests that need one skip otherwise)."""
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One server process on a free port; ``kill()`` is SIGKILL, no goodbye."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        *,
        redis_url: str | None = None,
        log_name: str = "server",
        log_level: str = "warning",
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.args = args
        self.database_url = database_url
        self.redis_url = redis_url
        self.log_path = data_dir / f"{log_name}.log"
        self.log_level = log_level
        self.extra_env = env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0, *, same_port: bool = False) -> Server:
        if not (same_port and self.port):
            self.port = free_port()
        env = {
            **os.environ,
            "MARKETDESK_DATABASE_URL": self.database_url,
            "MARKETDESK_DEMO_PASSWORD": DEMO_PASSWORD,
            "MARKETDESK_LOG_LEVEL": self.log_level,
            "MARKETDESK_RATE_LIMIT_SCALE": "1000",  # the tests drive many chats from one IP
            "MARKETDESK_OPEN_CONVERSATIONS_PER_LINE": "1000",
            # the limits' Redis keys of this database's servers only: the servers of other
            # tests (other pytest processes at the same time) count under keys of their own
            "MARKETDESK_RATE_LIMIT_PREFIX": "marketdesk-test:"
            + hashlib.sha256(self.database_url.encode()).hexdigest()[:16]
            + ":limits",
            **self.extra_env,
        }
        env.pop("MARKETDESK_REDIS_URL", None)
        if not any(name.startswith("MARKETDESK_DEMO") for name in self.extra_env):
            # a new database gets what serve would make of it, copied from a template
            copy_template(self.database_url, "serve")
        if self.redis_url:
            env["MARKETDESK_REDIS_URL"] = self.redis_url
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(MARKETDESK),
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def workers(self) -> set[int]:
        """The pids of ``serve --workers N``'s processes (uvicorn's spawned children, not
        its resource tracker)."""
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {
            int(child)
            for child in children
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        }

    # ------------------------------------------------------------------ helpers
    def post(self, path: str, token: str | None = None, json: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(self.url + path, json=json, headers=headers, timeout=30)

    def get(self, path: str, token: str, **params: Any) -> httpx.Response:
        return httpx.get(
            self.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def login(self, login: str) -> str:
        response = self.post("/api/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    def visitor(self) -> str:
        response = self.post("/api/v1/visitors")
        assert response.status_code == 201, response.text
        return str(response.json()["token"])
