"""Asking running servers to re-read the knowledge base (``marketdesk kb reload``, or
``POST /api/v1/kb/reload``): a stamp file in the data directory is touched; every server
process polls it (``marketdesk.workers.kb_watch``) and rebuilds its bot's index when the
stamp changes."""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["request_reload", "stamp_path"]


def stamp_path(data_dir: Path) -> Path:
    return data_dir / "kb.reload"


def request_reload(data_dir: Path) -> Path:
    """Ask every server using this data dir to re-read the articles."""
    path = stamp_path(data_dir)
    path.write_text(f"{time.time_ns()}\n")
    return path
