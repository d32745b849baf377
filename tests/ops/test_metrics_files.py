"""The node's metrics files (``observability.multiprocess.StartedFilesCollector``): a file a
process has created but not begun yet (prometheus-client creates it empty, then sizes it)
is left for the next scrape instead of failing this one."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from marketdesk.observability.multiprocess import StartedFilesCollector


def _write_counter(directory: Path, pid: int, value: float) -> None:
    values = MmapedDict(str(directory / f"counter_{pid}.db"))
    key = mmap_key("marketdesk_test", "marketdesk_test_total", [], [], "a test counter")
    values.write_value(key, value, 0.0)
    values.close()


def _counted(metrics: object) -> float:
    return sum(
        sample.value
        for family in metrics  # type: ignore[attr-defined]
        for sample in family.samples
        if sample.name == "marketdesk_test_total"
    )


def test_a_file_not_begun_yet_is_left_for_the_next_scrape(tmp_path: Path) -> None:
    _write_counter(tmp_path, 101, 3.0)
    _write_counter(tmp_path, 102, 4.0)
    (tmp_path / "gauge_live_103.db").touch()  # a worker that is starting
    # prometheus-client's own reader fails the whole scrape on it
    with pytest.raises(struct.error):
        list(MultiProcessCollector(CollectorRegistry(), path=str(tmp_path)).collect())
    collector = StartedFilesCollector(tmp_path, CollectorRegistry())
    assert _counted(collector.collect()) == 7.0
    # once the process has begun its file, it is read like the others
    (tmp_path / "gauge_live_103.db").unlink()
    _write_counter(tmp_path, 103, 5.0)
    assert _counted(collector.collect()) == 12.0
