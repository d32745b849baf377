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
SQLite's own checkpoints."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading

__all__ = ["CHECKPOINT_EVERY", "NO_AUTOMATIC_CHECKPOINTS", "WalCheckpointer"]

log = logging.getLogger("marketdesk.store")

CHECKPOINT_EVERY = 0.2
"""Seconds between two checkpoints of a server's SQLite file."""

NO_AUTOMATIC_CHECKPOINTS = "PRAGMA wal_autocheckpoint=0"
"""What a server's connections run besides ``store.db.SQLITE_PRAGMAS``."""


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
