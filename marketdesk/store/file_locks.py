"""Locks that several server processes on one SQLite file share: an exclusive ``flock`` on a
file beside the database (``<database>-writer``, ``<database>-leader``). The kernel lets one
holder in at a time, wakes a waiter the moment the holder lets go (no polling, no sleeps
between tries, unlike SQLite's busy handler) and drops the lock of a process that dies, even
by SIGKILL.

- :class:`WriteLock`: the SQLite write lock of an engine (``store.transactions``): first the
  process's own asyncio lock (its writers queue there, first come first served), then the
  file's, which orders the processes. Only the one writer of a process at a time waits on the
  file, in the lock's waiting thread (one for the lock's life, started at its first wait), so
  the event loop never blocks.
- :func:`try_lock_file`: a lock that is held or not at once (the leader lease of the
  background work, ``store.leases.FileLease``).

A database without a file (``:memory:``, a ``file:`` URI) has only the process's lock: no
other process can open it."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

__all__ = ["LockStats", "WriteLock", "lock_file_path", "sqlite_file", "try_lock_file"]


def sqlite_file(database: str | None) -> Path | None:
    """The file of a SQLite database (a URL's database part); None for one in memory or
    given as a ``file:`` URI."""
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def lock_file_path(database: str | None, purpose: str) -> Path | None:
    """``<database>-<purpose>`` beside a SQLite file; None for a database without one."""
    path = sqlite_file(database)
    return None if path is None else path.with_name(f"{path.name}-{purpose}")


def _open(path: Path) -> int:
    # 0600 like the database (``store.db.secure_sqlite_file``); the lock is on the open file
    # description, so each holder opens its own
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def try_lock_file(path: Path) -> int | None:
    """The file's exclusive lock if it is free now: the open descriptor that holds it (close
    it to let go), or None when another holder has it."""
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


@dataclass(slots=True)
class LockStats:
    """A write lock's use by this process since it started (``/metrics``): the share of the
    time it held the lock is the rate of ``held_seconds``; summed over the processes on one
    file it is how busy the database's one writer is."""

    acquisitions: int = 0
    other_process_waits: int = 0
    """Acquisitions that found another process holding the file's lock."""
    wait_seconds: float = 0.0
    """From asking to holding: behind this process's writers, then the other processes'."""
    held_seconds: float = 0.0


class WriteLock:
    """A SQLite engine's write lock, for the writers of this process and of the others on the
    same file (see the module's text). The interface of :class:`asyncio.Lock`: ``await
    acquire()``, ``release()``, ``async with``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stats = LockStats()
        self._since = 0.0
        self._local = asyncio.Lock()
        self._fd: int | None = None
        # the waiting thread's requests: (lock, loop, future) each, None to stop it
        self._waits: queue.SimpleQueue[_Wait | None] | None = None

    def locked(self) -> bool:
        return self._local.locked()

    async def acquire(self) -> bool:
        asked = time.perf_counter()
        await self._local.acquire()
        try:
            await self._acquire_file()
        except BaseException:
            self._local.release()
            raise
        self._since = now = time.perf_counter()
        stats = self.stats
        stats.acquisitions += 1
        stats.wait_seconds += now - asked
        return True

    def release(self) -> None:
        self.stats.held_seconds += time.perf_counter() - self._since
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._local.release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    async def _acquire_file(self) -> None:
        if self.path is None:
            return
        if self._fd is None:
            self._fd = _open(self.path)
            weakref.finalize(self, _close, self._fd)  # the engine and its lock are gone
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass  # another process writes: wait for it in the waiting thread
        self.stats.other_process_waits += 1
        if self._waits is None:
            # one thread for the lock's life: a thread started for each wait cost about a
            # tenth of a millisecond of CPU, on nearly every write while two processes write
            waits: queue.SimpleQueue[_Wait | None] = queue.SimpleQueue()
            self._waits = waits
            # a daemon: a process that exits while another holds the lock is not kept alive
            # by it; it holds no reference to the lock between waits (a wait's request
            # keeps the lock, and so its file, alive until it is answered)
            threading.Thread(
                target=_wait_for_file, args=(self._fd, waits), name="sqlite-write-lock", daemon=True
            ).start()
            weakref.finalize(self, waits.put, None)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waits.put((self, asyncio.get_running_loop(), future))
        await future

    def _deliver(self, future: asyncio.Future[None], error: OSError | None) -> None:
        # in the loop's thread, where a cancellation (the writer's timeout) happens too
        if error is not None:
            if not future.done():
                future.set_exception(error)
        elif future.done():  # the writer gave up while the thread waited: let go at once,
            # unless the process's next writer came meanwhile and holds it (its try without
            # waiting went in through this same open file): it lets go at its end
            if not self._local.locked():
                assert self._fd is not None
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        else:
            future.set_result(None)


_Wait = tuple[WriteLock, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


def _wait_for_file(fd: int, waits: queue.SimpleQueue[_Wait | None]) -> None:
    """The waiting thread of a :class:`WriteLock`: for each request, the file's lock (the
    thread blocks in ``flock`` until the other process lets go), then the answer in the
    waiting writer's event loop."""
    while (request := waits.get()) is not None:
        lock, loop, future = request
        error: OSError | None = None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as failed:
            error = failed
        try:
            loop.call_soon_threadsafe(lock._deliver, future, error)
        except RuntimeError:  # the loop is closed: nobody takes the lock
            if error is None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        del request, lock, loop, future


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
