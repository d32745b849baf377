"""The write-ahead log's checkpoints of a server's SQLite file, in a thread of their own.

SQLite copies the WAL back into the database file (a checkpoint) by itself, in whichever
connection's commit finds the WAL past 1 000 pages: that commit then writes and syncs a few
megabytes while its writer holds the write lock (``store.transactions``), and, when the
commit runs in the event loop's thread (``store.sqlite_driver.CommitTimes``), while the loop
waits too. Under 16 clients writing, that was a stall of every request every few hundred
commits, the tail of the write paths (``bench/README.md``).

A server's connections therefore turn the automatic checkpoint off (``PRAGMA
wal_autocheckpoint=0``), and :class:`WalCheckpointer` runs ``PRAGMA
wal_checkpoint(PASSIVE)`` every :data:`CHECKPOINT_EVERY` seconds on a connection of its own,
in a daemon thread: a passive checkpoint copies what no reader still needs and waits for
nobody, writers keep appending meanwhile, and sqlite3 lets go of the GIL while it works. The
WAL starts again from its beginning at the next write once it has been copied in full. Each
server process runs one; a checkpoint that meets another process's answers «busy» and is
simply tried again at the next tick. Other programs on the file (the CLI, a backup) keep
SQLite's own checkpoints.

**The commits' ``fsync``, many at once.** With ``synchronous=FULL`` every commit syncs the
WAL itself, while its writer holds the write lock, and (the commit running in the event
loop's thread, ``store.sqlite_driver.CommitTimes``) while the loop waits: 0.3–0.5 ms of
every write under load on the machine of ``bench/README.md``, a fifth of the loop's time in
task creation, and now and then a sync of several milliseconds (up to 12 ms timed here) when
the disk was busy — every request of the process waited for it. A server's connections
therefore commit with ``synchronous=NORMAL`` (the commit writes the WAL but does not sync
it) and :class:`WalSyncer` syncs the WAL file for them in a thread of its own: a commit
takes a ticket, its writer gives the write lock back, and only then waits until a sync that
began after its commit has finished (``store.transactions.Session.commit``), before it
answers anyone or publishes anything. Commits that wait at the same time share one ``fsync``
(a group commit, as PostgreSQL's), the next writer goes on meanwhile, and the loop never
waits for the disk. Nothing acknowledged is less durable than before: a commit is reported
done only once the WAL that holds it is on disk. (A reader of the same file may see a commit
a moment before it is on disk, as SQLite's ``NORMAL`` allows; what it writes in turn waits
for a sync that covers both.) A commit made outside a marketdesk session
(``engine.begin()``, a migration) waits for its sync before its ``commit`` returns. SQLite
itself still syncs the WAL before each checkpoint and the database file after it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading

__all__ = [
    "CHECKPOINT_EVERY",
    "NO_AUTOMATIC_CHECKPOINTS",
    "SYNC_LATER",
    "WalCheckpointer",
    "WalSyncer",
    "wal_syncer",
]

log = logging.getLogger("marketdesk.store")

CHECKPOINT_EVERY = 0.2
"""Seconds between two checkpoints of a server's SQLite file."""

NO_AUTOMATIC_CHECKPOINTS = "PRAGMA wal_autocheckpoint=0"
"""What a server's connections run besides ``store.db.SQLITE_PRAGMAS``."""

SYNC_LATER = "PRAGMA synchronous=NORMAL"
"""What a server's connections of the event loop run last: their commits are synced by
:class:`WalSyncer` (see the module's text)."""

IDLE_EXIT = 2.0
"""Seconds a :class:`WalSyncer`'s thread waits for work before it ends (the next commit
starts it again)."""


class WalCheckpointer:
    """Checkpoints of one SQLite file every ``every`` seconds, in a daemon thread, from
    :meth:`start` to :meth:`stop`."""

    def __init__(self, database: str, *, every: float = CHECKPOINT_EVERY) -> None:
        self.database = database
        self.every = every
        self.runs = 0  # checkpoints done (monitoring and tests)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="sqlite-checkpoints", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join(timeout=10)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(self.every):
                try:
                    if connection is None:
                        connection = sqlite3.connect(self.database, isolation_level=None)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error as error:  # busy elsewhere, the file gone: next tick
                    log.debug("WAL checkpoint of %s failed (%s)", self.database, error)
        finally:
            if connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()


class WalSyncer:
    """Syncs the WAL file of one SQLite database for commits made without a sync of their own
    (``synchronous=NORMAL``), many at once, in a daemon thread.

    Right after such a commit returns, its connection takes a :meth:`ticket`; :meth:`wait`
    returns once a sync that began after the ticket was taken has finished: the commit's WAL
    frames, written before it returned, are then on disk."""

    def __init__(self, database: str) -> None:
        self.wal = f"{database}-wal"
        self.syncs = 0  # syncs done (monitoring and tests)
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._tickets = 0  # tickets handed out
        self._synced = 0  # every ticket up to this one is on disk
        self._waiting: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._thread: threading.Thread | None = None

    def ticket(self) -> int:
        """A commit of the file has just returned (call it right after)."""
        with self._lock:
            self._tickets += 1
            return self._tickets

    async def wait(self, ticket: int) -> None:
        """Until the commit of ``ticket`` is on disk (``OSError``: the sync failed, and
        whether it is cannot be told)."""
        if self._synced >= ticket:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._synced >= ticket:
                return
            self._waiting.append((ticket, loop, future))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-wal-sync", daemon=True
                )
                self._thread.start()
            self._work.notify()
        await future

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._work.wait(IDLE_EXIT)
                    if not self._waiting:
                        self._thread = None
                        return
                target = self._tickets  # every commit counted so far has returned
            error: OSError | None = None
            try:
                self._sync()
            except OSError as failed:
                error = failed
                log.error("sync of %s failed: %s", self.wal, failed)
            with self._lock:
                if error is None:
                    self._synced = max(self._synced, target)
                    self.syncs += 1
                done = [entry for entry in self._waiting if entry[0] <= target]
                self._waiting = [entry for entry in self._waiting if entry[0] > target]
            for _ticket, loop, future in done:
                with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits
                    loop.call_soon_threadsafe(_settle, future, error)

    def _sync(self) -> None:
        try:
            descriptor = os.open(self.wal, os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: everything was checkpointed into the database file (synced)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _settle(future: asyncio.Future[None], error: OSError | None) -> None:
    if future.done():  # its waiter was cancelled: the commit stays, nobody to tell
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


_syncers: dict[str, WalSyncer] = {}


def wal_syncer(database: str) -> WalSyncer:
    """The :class:`WalSyncer` of a database file, shared by its connections."""
    syncer = _syncers.get(database)
    if syncer is None:
        syncer = _syncers[database] = WalSyncer(database)
    return syncer
