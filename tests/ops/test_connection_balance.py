"""Kept-alive connections evened out over ``marketdesk serve --workers N``'s processes
(``marketdesk.connection_balance``): a process holding more than its share of the node's
HTTP connections closes that many after their responses, the clients' next connections land
anywhere; a dead process is not counted; one process balances nothing."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from marketdesk.connection_balance import DIRECTORY_ENV, ConnectionShares, process_shares
from tests.chat.servers import REDIS_URL, Server, redis_available
from tests.conftest import TestDatabase, wait_for
from tests.ops.test_leadership import _listening_workers, _sockets_of

WAIT = 60.0  # seconds, a bound on each wait for the server's processes


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _shares(directory: Path, pid: int, clock: _Clock, dead: set[int]) -> ConnectionShares:
    return ConnectionShares(
        directory, pid, every=0.25, clock=clock, alive=lambda other: other not in dead
    )


def _closes(shares: ConnectionShares, held: int, requests: int) -> int:
    """``requests`` arriving at a process holding ``held`` connections: how many close."""
    while shares.held < held:
        shares.joined()
    while shares.held > held:
        shares.left()
    return sum(shares.should_close() for _ in range(requests))


def test_a_process_over_its_share_closes_the_excess_and_no_more(tmp_path: Path) -> None:
    clock, dead = _Clock(), set[int]()
    many, few = _shares(tmp_path, 101, clock, dead), _shares(tmp_path, 102, clock, dead)
    # every connection landed on one: a share of 6 of 12, six closed
    assert _closes(many, 12, 10) == 6
    assert _closes(many, 12, 10) == 0  # the counts not looked at again within 0.25 s
    clock.now += 0.25
    assert _closes(few, 4, 10) == 0  # four of the six landed on the other
    assert _closes(many, 8, 10) == 2  # two came back: 8 against 4
    clock.now += 0.25
    assert _closes(few, 5, 10) == 0  # one of them here: 5 and 7, of 6 each
    assert _closes(many, 7, 10) == 1
    clock.now += 0.25
    assert _closes(few, 6, 10) == 0  # even
    assert _closes(many, 6, 10) == 0
    clock.now += 0.25
    assert _closes(few, 7, 10) == 0  # an odd total: 7 and 6, a share of 7 each
    assert _closes(many, 6, 10) == 0
    assert (many.closed, few.closed) == (9, 0)


def test_the_counts_are_written_as_connections_come_and_go_and_read_once_a_period(
    tmp_path: Path,
) -> None:
    clock = _Clock()
    one, other = _shares(tmp_path, 101, clock, set()), _shares(tmp_path, 102, clock, set())
    for _ in range(9):
        one.joined()
    one.left()
    assert other._read_others() == [8]  # at once, no request needed
    assert _closes(other, 0, 1) == 0
    for _ in range(8):
        one.left()
    for _ in range(10):  # the other's count of 8 is still the one read: not looked again
        other.joined()
    assert _closes(other, 10, 5) == 0
    clock.now += 0.25
    assert _closes(other, 10, 10) == 5  # now read: 0 against 10, a share of 5


def test_a_dead_process_is_not_counted_and_its_file_goes(tmp_path: Path) -> None:
    clock, dead = _Clock(), set[int]()
    alive, gone = _shares(tmp_path, 101, clock, dead), _shares(tmp_path, 103, clock, dead)
    assert (tmp_path / "103").exists()  # counted (none held) from the start
    dead.add(103)  # killed without a goodbye; alive, it would take six of twelve
    assert _closes(alive, 12, 20) == 0  # alone: all twelve are its share
    assert not (tmp_path / "103").exists()
    assert (tmp_path / "101").exists()
    alive.close()
    assert not (tmp_path / "101").exists()
    assert gone.closed == 0


def test_one_process_balances_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    process_shares.cache_clear()
    monkeypatch.delenv(DIRECTORY_ENV, raising=False)
    try:
        assert process_shares() is None
        monkeypatch.setenv(DIRECTORY_ENV, str(tmp_path))
        process_shares.cache_clear()
        made = process_shares()
        assert made is not None and made.directory == tmp_path
    finally:
        process_shares.cache_clear()


class _Keeper:
    """A client that keeps its connection while the server keeps it: a request at a time
    (``GET /healthz``), a new connection after a response with ``Connection: close``."""

    def __init__(self, port: int, sock: socket.socket) -> None:
        self.port = port
        self.sock = sock
        self.reconnects = 0

    def request(self) -> int:
        self.sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed before answering"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        fields = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(b":") for x in lines[1:])
        }
        length = int(fields[b"content-length"])
        while len(body) < length:
            body += self.sock.recv(65536)
        if fields.get(b"connection", b"").lower() == b"close":
            self.sock.close()
            self.sock = _connect(self.port)
            self.reconnects += 1
        return int(lines[0].split()[1])


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.settimeout(10)
    return sock


def _remote_ports(pid: int, port: int) -> set[int]:
    """The client ports of the connections ``pid`` holds on ``port``."""
    inodes = _sockets_of(pid, port, "01")
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            found.add(int(fields[2].split(":")[1], 16))
    return found


def _held(pids: set[int], port: int, keepers: list[_Keeper]) -> dict[int, int]:
    ports = {keeper.sock.getsockname()[1] for keeper in keepers}
    return {pid: len(_remote_ports(pid, port) & ports) for pid in pids}


@pytest.mark.slow
def test_connections_all_on_one_process_even_out_over_both(
    make_database: Callable[[str], TestDatabase], tmp_path: Path
) -> None:
    """Twelve kept-alive connections, all landed on one of two processes (the others the
    kernel gave to the second are closed before any request): as their requests go on,
    that process closes some after their responses, and the clients' new connections even
    the two out at six each. Every request is answered; once even, no more connections are
    closed."""
    if not redis_available():
        pytest.skip("no Redis at " + REDIS_URL)
    database = make_database("sqlite")
    server = Server(tmp_path, database.url, redis_url=REDIS_URL, args=("--workers", "2"))
    server.start()
    keepers: list[_Keeper] = []
    try:
        pids = _listening_workers(server, 2, limit=WAIT)
        first = min(pids)
        while len(keepers) < 12:
            sock = _connect(server.port)
            keeper = _Keeper(server.port, sock)
            wait_for(lambda: sum(_held(pids, server.port, [keeper]).values()) == 1, "accepted")
            if _held(pids, server.port, [keeper])[first]:
                keepers.append(keeper)
            else:
                sock.close()
        assert _held(pids, server.port, keepers) == {first: 12, max(pids): 0}
        statuses = []
        for _ in range(200):
            statuses += [keeper.request() for keeper in keepers]
            if _held(pids, server.port, keepers) == {first: 6, max(pids): 6}:
                break
        assert set(statuses) == {200}
        assert _held(pids, server.port, keepers) == {first: 6, max(pids): 6}
        assert sum(keeper.reconnects for keeper in keepers) >= 6
        # even, it stays so: no more connections are closed (once each process has looked
        # at the counts again, a closing decided on the last but one count spent)
        time.sleep(0.5)
        reconnects = sum(keeper.reconnects for keeper in keepers)
        for _ in range(20):
            assert {keeper.request() for keeper in keepers} == {200}
        assert sum(keeper.reconnects for keeper in keepers) == reconnects
    finally:
        for keeper in keepers:
            keeper.sock.close()
        server.stop()


def test_a_directory_gone_fails_no_connection(tmp_path: Path) -> None:
    """The server stopping removes the directory: counting and looking go on quietly."""
    directory = tmp_path / "shared"
    directory.mkdir()
    shares = _shares(directory, 101, _Clock(), set())
    shares.close()
    directory.rmdir()
    shares.joined()
    assert shares.should_close() is False
    shares.left()
    assert not directory.exists()
