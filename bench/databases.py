"""A fresh database for a benchmark that runs the application in-process: a SQLite file in
the run's folder, or a PostgreSQL database of its own, dropped at the end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from marketdesk.store.postgres import create_database, drop_database

__all__ = ["on_fresh_database"]


def on_fresh_database(
    backend: str,
    pg: str | None,
    data_dir: Path,
    prefix: str,
    work: Callable[[str], Coroutine[Any, Any, None]],
) -> None:
    """``work(url)`` on a new database: ``backend`` ``sqlite`` (a file in ``data_dir``) or
    ``postgresql`` (a database named ``prefix`` and a random suffix on the server ``pg``)."""
    if backend == "sqlite":
        asyncio.run(work(f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"))
        return
    if not pg:
        raise SystemExit("PostgreSQL: give --pg or MARKETDESK_TEST_DATABASE_URL")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(create_database(pg, name))
    try:
        asyncio.run(work(url))
    finally:
        asyncio.run(drop_database(pg, name))
