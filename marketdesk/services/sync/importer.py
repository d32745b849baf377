"""``marketdesk import KIND FILE``: the bulk path. A JSON Lines or CSV file is read in
batches, each stored through :func:`sync_batch` (the same checks and upserts as the API) and
committed; how far it got is kept in ``import_checkpoints`` after every batch, so a run that
stopped resumes after the last committed batch (a batch committed just before a crash is
sent again, which changes nothing). The refused records go to ``FILE.errors.jsonl``."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Final, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.sync import MAX_BATCH, SyncKind
from marketdesk.store.db import Database
from marketdesk.store.models import ImportCheckpoint, utcnow

from . import sync_batch

__all__ = ["DEFAULT_BATCH", "ImportResult", "count_records", "import_file"]

DEFAULT_BATCH: Final = 2_000

# CSV cells are text: these stay text, digits elsewhere become numbers, a cell that opens
# with «[» or «{» is JSON (an order's items, a product's attributes, a stock snapshot)
_TEXT_FIELDS: Final = frozenset(
    {
        "phone", "email", "full_name", "name", "number", "code", "payment", "warehouse",
        "timezone", "category_path", "company_name", "markdown_reason", "special_category",
        "reference", "delta_id", "registered_on", "birth_date", "created_at", "expires_at",
        "activated_at", "issued_at",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ImportResult:
    total: int  # records in the file
    skipped: int  # already imported by an earlier run (the checkpoint)
    stored: int
    errors: int
    errors_file: Path | None


def _csv_value(name: str, cell: str) -> Any:
    text = cell.strip()
    if not text:
        return None
    if name in _TEXT_FIELDS:
        return text
    if text[0] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            return text
    if text.lstrip("-").isdigit():
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def _records(handle: TextIO, path: Path) -> Iterator[Any]:
    if path.suffix.lower() == ".csv":
        for row in csv.DictReader(handle):
            yield {k: _csv_value(k, v or "") for k, v in row.items() if k}
        return
    for line in handle:
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError:
            yield line.strip()[:80]  # not JSON: refused by the parser, named by its place


def count_records(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in _records(handle, path))


def _identity(path: Path) -> tuple[str, str]:
    """The checkpoint's key (the absolute path) and what says the file is the same."""
    stat = path.stat()
    return str(path.resolve()), f"{stat.st_size}:{stat.st_mtime_ns}"


async def _checkpoint(
    session: AsyncSession, key: str, fingerprint: str, kind: SyncKind
) -> ImportCheckpoint:
    row = await session.get(ImportCheckpoint, key)
    if row is None or row.fingerprint != fingerprint or row.kind != kind.value:
        if row is None:
            row = ImportCheckpoint(path=key)
            session.add(row)
        row.kind, row.fingerprint, row.done, row.stored, row.errors = (
            kind.value,
            fingerprint,
            0,
            0,
            0,
        )
        row.updated_at = utcnow()
        await session.commit()
    return row


async def import_file(
    database: Database,
    kind: SyncKind,
    path: Path,
    *,
    secret: bytes,
    batch_size: int = DEFAULT_BATCH,
    restart: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``path`` (``.jsonl``/``.json`` lines or ``.csv``) from where the last run of
    the same file stopped (``restart``: from the start)."""
    batch_size = max(1, min(batch_size, MAX_BATCH))
    errors_path = path.with_name(path.name + ".errors.jsonl")
    key, fingerprint = _identity(path)
    async with database.sessions() as session:
        checkpoint = await _checkpoint(session, key, fingerprint, kind)
        if restart:
            checkpoint.done = checkpoint.stored = checkpoint.errors = 0
            await session.commit()
        skipped = done = checkpoint.done
    stored = errors = 0
    with (
        path.open(encoding="utf-8", newline="") as handle,
        errors_path.open("a" if skipped else "w", encoding="utf-8") as bad,
    ):
        records = _records(handle, path)
        for _ in islice(records, skipped):
            pass
        if progress and skipped:
            progress(skipped)
        while batch := list(islice(records, batch_size)):
            async with database.sessions() as session:
                result = await sync_batch(
                    session, kind, batch, secret=secret, actor="cli:import", first_index=done
                )
                for error in result.errors:
                    bad.write(
                        json.dumps(
                            {"record": error.index + 1, "message": error.message},
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                done += len(batch)
                stored += result.stored
                errors += len(result.errors)
                row = await session.get(ImportCheckpoint, key)
                assert row is not None
                row.done, row.updated_at = done, utcnow()
                row.stored += result.stored
                row.errors += len(result.errors)
                await session.commit()
            bad.flush()
            if progress:
                progress(len(batch))
    if not errors and not skipped:
        errors_path.unlink(missing_ok=True)
    return ImportResult(
        total=done,
        skipped=skipped,
        stored=stored,
        errors=errors,
        errors_file=errors_path if errors_path.exists() else None,
    )
