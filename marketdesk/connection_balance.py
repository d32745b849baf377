"""Kept-alive HTTP connections spread evenly over ``marketdesk serve --workers N``'s processes.

Each process listens on a socket of its own (``marketdesk.listening``), and the kernel hands
each new connection to one of them by a hash of its addresses: even over many connections,
uneven over a few. A load balancer's pool of sixteen kept-alive connections, or sixteen
clients, lands 8/8 only one time in five, and 11/5 or worse as often (``bench/README.md``).
The connections then stay where they landed, and the process holding twelve answers each of
them three times slower than the other answers its four, while both are busy.

So each process keeps the number of HTTP connections it holds in a file of a directory the
processes share (named by its pid, written as a connection opens or closes), and reads the
others' at most every :data:`EVERY` seconds, when a request arrives. A process holding more
than its share of the node's connections (the total divided by the live processes, rounded
up) answers as many of its next requests as it holds over that with ``Connection: close``:
the client opens a new connection, which the kernel hashes again, to any process. The
shares even out within a few rounds of requests; no request is refused or delayed, and a
connection is closed only after its response. Sockets (WebSocket) are not counted and never
closed here.

``serve`` makes the directory before it starts the processes and names it in
:data:`DIRECTORY_ENV`; without it (one process) nothing is balanced.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from marketdesk.observability.multiprocess import is_running

__all__ = [
    "DIRECTORY_ENV",
    "EVERY",
    "ConnectionShares",
    "prepare_directory",
    "process_shares",
    "remove_directory",
]

DIRECTORY_ENV = "MARKETDESK_CONNECTIONS_DIR"
"""The shared directory of a node's processes (set by ``serve`` for its workers)."""
EVERY = 0.25
"""Seconds between two looks of a process at the node's counts."""
_COUNT = struct.Struct("<q")


class ConnectionShares:
    """One process's view of the node's connections (see the module's text)."""

    def __init__(
        self,
        directory: Path,
        pid: int | None = None,
        *,
        every: float = EVERY,
        clock: Callable[[], float] = time.monotonic,
        alive: Callable[[int], bool] = is_running,
    ) -> None:
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        self.every = every
        self.clock = clock
        self.alive = alive
        self.held = 0  # HTTP connections open in this process
        self.closed = 0  # connections this process has asked to close
        self._next = float("-inf")
        self._excess = 0
        self._fd: int | None = None
        self._write(0)  # counted from the start, before any request reaches it

    def joined(self) -> None:
        """An HTTP connection opened in this process."""
        self.held += 1
        self._write(self.held)

    def left(self) -> None:
        """An HTTP connection of this process closed (or became a socket)."""
        self.held = max(0, self.held - 1)
        self._write(self.held)

    def should_close(self) -> bool:
        """Whether the request arriving now should close its connection after its
        response."""
        now = self.clock()
        if now >= self._next:
            self._next = now + self.every
            self._excess = self._over_share()
        if self._excess <= 0:
            return False
        self._excess -= 1
        self.closed += 1
        return True

    def _over_share(self) -> int:
        """How many connections this process holds over its share (0 or more)."""
        others = self._read_others()
        share = math.ceil((self.held + sum(others)) / (1 + len(others)))
        return max(0, self.held - share)

    def _write(self, count: int) -> None:
        """This process's count in its file (not at all when the directory is gone: the
        server stopping; a connection is never failed for the count)."""
        with contextlib.suppress(OSError):
            if self._fd is None:
                path = self.directory / str(self.pid)
                self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.pwrite(self._fd, _COUNT.pack(count), 0)

    def _read_others(self) -> list[int]:
        """The counts of the node's other live processes; a dead one's file is removed."""
        counts: list[int] = []
        try:
            entries = os.scandir(self.directory)
        except OSError:  # the directory gone (the server stopping): nothing to balance
            return counts
        with entries:
            for entry in entries:
                if not entry.name.isdigit() or int(entry.name) == self.pid:
                    continue
                if not self.alive(int(entry.name)):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                    continue
                with contextlib.suppress(OSError), open(entry.path, "rb") as file:
                    data = file.read(_COUNT.size)
                    if len(data) == _COUNT.size:
                        counts.append(max(0, _COUNT.unpack(data)[0]))
        return counts

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            with contextlib.suppress(OSError):
                os.unlink(self.directory / str(self.pid))


@functools.cache
def process_shares() -> ConnectionShares | None:
    """This process's :class:`ConnectionShares`, or None when ``serve`` named no shared
    directory (one process)."""
    directory = os.environ.get(DIRECTORY_ENV)
    if not directory or not Path(directory).is_dir():
        return None
    return ConnectionShares(Path(directory))


def prepare_directory() -> Path:
    """A new shared directory, named in this process's environment for the workers it
    starts."""
    directory = Path(tempfile.mkdtemp(prefix="marketdesk-connections-"))
    os.environ[DIRECTORY_ENV] = str(directory)
    return directory


def remove_directory(directory: Path) -> None:
    os.environ.pop(DIRECTORY_ENV, None)
    shutil.rmtree(directory, ignore_errors=True)
