"""What the benchmarks that drive a real ``marketdesk serve`` process share: a free port, the
server process with the bench's settings, and its CPU time and memory read from ``/proc``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["MARKETDESK", "ServerProcess", "cpu_seconds", "free_port", "rss_kb"]

MARKETDESK = Path(sys.executable).with_name("marketdesk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _connections(pid: int, port: int) -> set[str]:
    """The inodes of the established TCP connections ``pid`` holds on local ``port``."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for fields in (line.split() for line in lines):
            if fields[1].endswith(f":{port:04X}") and fields[3] == "01":
                established.add(fields[9])
    held = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return set()
    for fd in descriptors:
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            held.add(target[len("socket:[") : -1])
    return held & established


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


class ServerProcess:
    """``marketdesk serve`` on a free port with the demo data (password ``bench``), quiet logs,
    no generated history and the abuse limits raised (one machine plays thousands of clients
    from one IP; ``MARKETDESK_RATE_LIMIT_SCALE=1`` measures them in place)."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        extra_env: dict[str, str] | None = None,
        *,
        workers: int = 1,
    ):
        self.data_dir = data_dir
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU time of the server so far, its worker processes included."""
        return cpu_seconds(self.pid) + sum(cpu_seconds(child) for child in _children(self.pid))

    def worker_cpu_seconds(self) -> dict[int, float]:
        """CPU time of each process the server started so far (its workers, with
        ``--workers N``; a helper such as multiprocessing's tracker shows as a third), by pid."""
        return {child: cpu_seconds(child) for child in _children(self.pid)}

    def worker_connections(self) -> dict[int, int]:
        """The established TCP connections each of the server's processes holds on its port
        now, by pid (read from /proc; empty where there is none)."""
        return {child: len(_connections(child, self.port)) for child in _children(self.pid)}

    def start(self) -> None:
        env = {
            **os.environ,
            "MARKETDESK_DATABASE_URL": self.database_url,
            "MARKETDESK_DEMO_PASSWORD": "bench",
            "MARKETDESK_LOG_LEVEL": "warning",
            # no generated history: its first reports and reminder rounds would run in the
            # measured minute
            "MARKETDESK_DEMO_HISTORY_DAYS": "0",
            "MARKETDESK_RATE_LIMIT_SCALE": os.environ.get("MARKETDESK_RATE_LIMIT_SCALE", "10000"),
            **self.extra_env,
        }
        if "MARKETDESK_REDIS_URL" not in self.extra_env:
            env.pop("MARKETDESK_REDIS_URL", None)
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(MARKETDESK),
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *(["--workers", str(self.workers)] if self.workers > 1 else []),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start: " + (self.data_dir / "server.log").read_text())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
