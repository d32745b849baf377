"""/metrics of ``marketdesk serve --workers N``: whichever process a scrape reaches, it
reports the whole node (``observability.multiprocess``): requests summed over the
processes, a killed process's counts kept and its gauges dropped, each live process's
``process_*`` with its pid, and the shared directory removed when the server stops."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from marketdesk.observability.multiprocess import is_running, started_files
from tests.chat.servers import REDIS_URL, Server, redis_available
from tests.conftest import TestDatabase, wait_for
from tests.ops.conftest import METRICS_TOKEN, Samples, parse, value
from tests.ops.test_leadership import _connections_of, _listening_workers

pytestmark = pytest.mark.slow

WAIT = 60.0  # seconds, a bound on each wait for the server's processes

HEALTHZ = {"method": "GET", "route": "/healthz", "status": "200"}
REQUESTS = "marketdesk_http_requests_total"


def _scrape(server: Server) -> Samples:
    """One scrape on a new connection (the kernel hands it to either process)."""
    with httpx.Client(headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as client:
        response = client.get(server.url + "/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return parse(response.text)


def _pids(samples: Samples) -> set[int]:
    return {
        int(labels["pid"])
        for (name, pairs) in samples
        if name == "process_cpu_seconds_total"
        for labels in [dict(pairs)]
    }


def _has_written(directory: Path, pid: int, name: str) -> bool:
    """Whether ``pid`` has written the live gauge ``name`` to the shared files."""
    # a file the process has created but not begun yet holds nothing yet
    files = started_files(directory, f"gauge_live*_{pid}.db")
    return any(
        sample.name == name
        for family in MultiProcessCollector.merge(files, accumulate=False)
        for sample in family.samples
    )


def test_every_scrape_reports_the_whole_node(
    make_database: Callable[[str], TestDatabase], tmp_path: Path
) -> None:
    if not redis_available():
        pytest.skip("no Redis at " + REDIS_URL)
    database = make_database("sqlite")
    server = Server(
        tmp_path,
        database.url,
        redis_url=REDIS_URL,
        args=("--workers", "2"),
        env={
            "MARKETDESK_METRICS_TOKEN": METRICS_TOKEN,
            "MARKETDESK_METRICS_REFRESH_SECONDS": "0.2",
        },
    )
    server.start()
    try:
        first = _listening_workers(server, 2, limit=WAIT)
        directory = Path(
            next(
                entry.split("=", 1)[1]
                for entry in Path(f"/proc/{min(first)}/environ").read_text().split("\0")
                if entry.startswith("PROMETHEUS_MULTIPROC_DIR=")
            )
        )
        assert directory.is_dir()
        before = _scrape(server)
        # sixteen connections at once: the kernel spreads them over both processes
        spread = _connections_of(server.port, first, count=16)
        assert all(spread.values()) and sum(spread.values()) == 16, spread
        pool = "marketdesk_db_pool_size"
        scrapes = [_scrape(server) for _ in range(8)]
        for samples in scrapes:  # each, from either process, counts both processes' requests
            assert value(samples, REQUESTS, **HEALTHZ) - value(before, REQUESTS, **HEALTHZ) == 16
            assert _pids(samples) == first
        sizes = {value(samples, pool) for samples in scrapes}
        assert len(sizes) == 1 and sizes.pop() > 0  # both processes' pools, summed

        killed = min(first)
        os.kill(killed, signal.SIGKILL)  # no goodbye: uvicorn starts another
        wait_for(
            lambda: len(server.workers()) == 2 and killed not in server.workers(),
            "restart",
            limit=WAIT,
        )
        (new,) = server.workers() - first
        # nothing scraped since the kill: the killed process's gauges are still in the
        # files when the new one has written its own
        wait_for(lambda: _has_written(directory, new, pool), "the new process's pool", limit=WAIT)
        after = [_scrape(server) for _ in range(8)]
        second = server.workers()
        for samples in after:
            # the killed process's requests still count; its gauges no longer do
            assert value(samples, REQUESTS, **HEALTHZ) - value(before, REQUESTS, **HEALTHZ) == 16
            assert value(samples, pool) == value(scrapes[0], pool)
            assert _pids(samples) == second
    finally:
        server.stop()
    assert not directory.exists()  # the server's own directory goes with it


def test_a_killed_process_not_yet_reaped_counts_as_dead() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert is_running(child.pid)
        child.kill()
        wait_for(
            lambda: Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1][0] == "Z",
            "Z",
            limit=WAIT,
        )
        assert not is_running(child.pid)  # a zombie: its gauges are not summed
    finally:
        child.kill()
        child.wait()
    assert not is_running(child.pid)
