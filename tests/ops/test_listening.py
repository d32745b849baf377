"""The listening socket ``serve --workers N`` hands to its processes (``marketdesk.listening``):
handed over as the supervisor hands it (pickled for a spawned process), it becomes a socket of
its own on the same address, and the sockets of the group each take connections."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest

from marketdesk.listening import ReusePortSocket, bind_reuse_port
from tests.chat.servers import MARKETDESK, REDIS_URL, redis_available


def test_a_handed_over_socket_is_a_new_one_on_the_same_address() -> None:
    supervisor = bind_reuse_port("127.0.0.1", 0)
    try:
        assert isinstance(supervisor, ReusePortSocket)
        host, port = supervisor.getsockname()
        handed = pickle.loads(ForkingPickler.dumps(supervisor))
        other = pickle.loads(ForkingPickler.dumps(supervisor))
        try:
            assert handed.fileno() not in (supervisor.fileno(), other.fileno())
            assert handed.getsockname() == other.getsockname() == (host, port)
            assert handed.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            handed.listen()
            other.listen()  # a second listener on the same port: allowed, one group
            clients = [socket.create_connection((host, port), timeout=5) for _ in range(32)]
            try:
                handed.setblocking(False)
                other.setblocking(False)
                accepted = {"handed": 0, "other": 0}
                for name, listener in (("handed", handed), ("other", other)):
                    while True:
                        try:
                            listener.accept()[0].close()
                        except BlockingIOError:
                            break
                        accepted[name] += 1
                # every connection was queued on one of the two, and (32 connections hashed
                # over two sockets) both had some
                assert sum(accepted.values()) == 32, accepted
                assert all(accepted.values()), accepted
            finally:
                for client in clients:
                    client.close()
        finally:
            handed.close()
            other.close()
    finally:
        supervisor.close()


def test_a_busy_address_is_refused() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(OSError):
            bind_reuse_port("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_serve_with_several_processes_on_a_busy_port_says_so(tmp_path: Path) -> None:
    if not redis_available():
        pytest.skip("no Redis at " + REDIS_URL)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    env = {**os.environ, "MARKETDESK_REDIS_URL": REDIS_URL, "MARKETDESK_DEMO_PASSWORD": "x"}
    try:
        done = subprocess.run(
            [
                str(MARKETDESK),
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
                "--data-dir",
                tmp_path,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        taken.close()
    assert done.returncode == 1
    assert f"Не удалось занять адрес 127.0.0.1:{port}: его уже слушает другая программа." in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
