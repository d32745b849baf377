"""The metrics of a node's several server processes (``marketdesk serve --workers N``).

Each of uvicorn's worker processes serves ``/metrics`` for the port they share, and a scrape
reaches one of them at random. So that every scrape reports the whole node, the processes
write their counters, histograms and gauges to memory-mapped files in one directory
(prometheus-client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``), and the process that
answers reads them all: counters and histograms summed over the processes (a process that
died keeps its counts, so totals never go back), the gauges of the live ones summed.

``serve`` makes the directory (:func:`prepare_directory`) before it starts the workers,
which take the setting from their environment when they import prometheus-client; a
directory the operator chose is used instead, its old files removed first.

What prometheus-client's files cannot carry is read here too: each live worker's
``process_*`` metrics (CPU, memory, open files) from ``/proc``, with a ``pid`` label, and
the live gauges of a worker that died without saying so (SIGKILL) are dropped at the next
scrape.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, values
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

__all__ = [
    "DIRECTORY_ENV",
    "StartedFilesCollector",
    "WorkerProcesses",
    "forget_process",
    "is_running",
    "multiprocess_directory",
    "prepare_directory",
    "remove_directory",
    "started_files",
]

DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own setting
_OWN_PREFIX = "marketdesk-metrics-"
_FILE_PID = re.compile(r"_(\d+)\.db$")
_HEADER = 8  # a metrics file's first bytes: how much of it is used, and padding


class StartedFilesCollector(MultiProcessCollector):
    """prometheus-client's reader of the processes' files, less the files a process has
    created but not begun yet: prometheus-client creates a file empty and then sizes it, and
    a scrape that read it in between failed whole (``struct.error``: seen when a worker
    restarted after a SIGKILL). Such a file holds nothing yet; the next scrape reads it."""

    def __init__(self, directory: Path, registry: CollectorRegistry) -> None:
        self._directory = directory
        super().__init__(registry, path=str(directory))  # type: ignore[no-untyped-call]

    def collect(self) -> Iterator[Metric]:
        files = started_files(self._directory, "*.db")
        return iter(self.merge(files, accumulate=True))  # type: ignore[no-untyped-call]


def started_files(directory: Path, pattern: str) -> list[str]:
    """The metrics files of ``directory`` matching ``pattern`` that their process has begun
    (at least their header written): what prometheus-client's reader can read."""
    files = []
    for path in directory.glob(pattern):
        try:
            if path.stat().st_size >= _HEADER:
                files.append(str(path))
        except FileNotFoundError:  # a dead process's file removed meanwhile
            continue
    return files


def multiprocess_directory() -> Path | None:
    """The shared directory when this process writes its metrics there, else None.

    prometheus-client decides when it is imported, from the environment; the two must agree
    (a directory set after the import would stay empty)."""
    directory = os.environ.get(DIRECTORY_ENV)
    if not directory or values.ValueClass is values.MutexValue:
        return None
    return Path(directory)


def prepare_directory() -> tuple[Path, bool]:
    """Before the workers start: the directory they will share, put in the environment
    they inherit. An operator's own (``PROMETHEUS_MULTIPROC_DIR`` set) is emptied of the
    last run's files; otherwise a new temporary one is made. The flag: ours to remove."""
    chosen = os.environ.get(DIRECTORY_ENV)
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
        return directory, False
    directory = Path(tempfile.mkdtemp(prefix=_OWN_PREFIX))
    os.environ[DIRECTORY_ENV] = str(directory)
    return directory, True


def remove_directory(directory: Path, owned: bool) -> None:
    """After the workers stopped: a directory :func:`prepare_directory` made is removed."""
    if owned:
        shutil.rmtree(directory, ignore_errors=True)


def is_running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed and not yet reaped by the supervisor, does
    not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc here, or gone meanwhile: as kill() said
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


class WorkerProcesses(Collector):
    """The ``process_*`` metrics of every live worker of the directory (``pid`` label; none
    with ``process`` false), and the bookkeeping of the dead: their live gauges dropped."""

    def __init__(self, directory: Path, *, process: bool = True) -> None:
        self.directory = directory
        self.process = process

    def sweep(self) -> list[int]:
        """The live processes that wrote metrics here; the dead ones' live gauges removed
        (before the files are read, so that a dead process's gauges are not summed)."""
        found = {
            int(match.group(1))
            for path in self.directory.glob("*.db")
            if (match := _FILE_PID.search(path.name))
        }
        live = []
        for pid in sorted(found):
            if is_running(pid):
                live.append(pid)
            else:
                _forget(pid, self.directory)
        return live

    def collect(self) -> Iterator[Metric]:
        if not self.process:
            return
        families: dict[str, Metric] = {}
        for pid in self.sweep():
            reader = ProcessCollector(pid=functools.partial(int, pid), registry=None)
            for family in reader.collect():
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    merged.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
        yield from families.values()

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at scrape time


def forget_process(directory: Path) -> None:
    """At a worker's orderly end: its live gauges leave the node's sums at once."""
    _forget(os.getpid(), directory)


def _forget(pid: int, directory: Path) -> None:
    mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
