"""``marketdesk backup FILE`` / ``marketdesk restore FILE``: the database and the data dir's
files (uploaded attachments, the installation's keys) in one tar archive.

SQLite is copied through SQLite's online backup API (the server keeps running and writing:
the copy is one consistent moment, a write acknowledged before the backup began is in it);
PostgreSQL through ``pg_dump --format=custom`` and ``pg_restore``. A restore goes only into
an empty place (no database file, or a PostgreSQL database without tables; no attachments),
then migrates, so the archive of an older version gives a current server.

The archive: ``manifest.json`` (format, backend, the schema's revision, when), ``database``
(the SQLite file or the dump) and ``files/`` (what the data dir holds besides the database).
It holds the secret key the certificate codes are hashed with: keep it as safe as the
database itself.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.engine import make_url

from marketdesk import __version__
from marketdesk.settings import Settings
from marketdesk.store.db import Database
from marketdesk.store.migrate import upgrade
from marketdesk.store.models import utcnow

__all__ = ["BackupFailed", "BackupResult", "backup", "restore"]

FORMAT: Final = 1
_SQLITE_SIDE_FILES: Final = ("-wal", "-shm", "-journal")


class BackupFailed(RuntimeError):
    """A backup or a restore that cannot be done; the message is for the admin (Russian)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    backend: str
    revision: str | None
    files: int  # files of the data dir in the archive (attachments, keys)


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.async_database_url).database
    if not database:
        raise BackupFailed("Резервная копия SQLite в памяти не поддерживается.")
    return Path(database)


def _libpq_url(settings: Settings) -> str:
    """The database's URL as pg_dump and pg_restore take it (no driver name)."""
    url = make_url(settings.async_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"Не найдена программа {name}: установите клиент PostgreSQL.")
    return found


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupFailed(
            f"{Path(args[0]).name} завершился с ошибкой: {result.stderr.strip()[:500]}"
        )


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections keep writing."""
    with sqlite3.connect(source, timeout=60) as src, sqlite3.connect(target) as dst:
        src.execute("PRAGMA busy_timeout = 60000")
        src.backup(dst)
    sqlite3.connect(target).close()


def _data_files(settings: Settings, database: Path | None) -> list[Path]:
    """The data dir's files but the database (attachments, keys), relative to it."""
    root = settings.data_dir
    skip: set[Path] = set()
    if database is not None:
        skip = {database, *(database.with_name(database.name + s) for s in _SQLITE_SIDE_FILES)}
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path not in skip:
            if path.name.startswith(".") or path.suffix in (".tmp", ".part"):
                continue
            files.append(path.relative_to(root))
    return files


async def _revision(settings: Settings) -> str | None:
    database = Database(settings.async_database_url)
    try:
        async with database.sessions() as session:
            value = await session.scalar(text("SELECT version_num FROM alembic_version"))
            return str(value) if value else None
    finally:
        await database.dispose()


async def backup(settings: Settings, target: Path) -> BackupResult:
    """Write the archive of the data dir's database and files to ``target``."""
    revision = await _revision(settings)
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    database_file = _sqlite_path(settings) if settings.is_sqlite else None
    with tempfile.TemporaryDirectory(prefix="marketdesk-backup-") as tmp:
        dump = Path(tmp) / "database"
        if database_file is not None:
            await asyncio.to_thread(_copy_sqlite, database_file, dump)
        else:
            args = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
            await asyncio.to_thread(_run, [*args, "--file", str(dump), _libpq_url(settings)])
        files = _data_files(settings, database_file)
        manifest = {
            "format": FORMAT,
            "backend": backend,
            "revision": revision,
            "marketdesk": __version__,
            "created_at": utcnow().isoformat(),
            "files": [str(f) for f in files],
        }
        await asyncio.to_thread(_write_archive, target, manifest, dump, settings.data_dir, files)
    return BackupResult(backend, revision, len(files))


def _write_archive(
    target: Path, manifest: dict[str, Any], dump: Path, root: Path, files: list[Path]
) -> None:
    partial = target.with_name(target.name + ".part")
    with tarfile.open(partial, "w:gz") as archive:
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        info.mtime = int(utcnow().timestamp())
        with tempfile.SpooledTemporaryFile() as buffer:
            buffer.write(data)
            buffer.seek(0)
            archive.addfile(info, buffer)
        archive.add(dump, "database")
        for relative in files:
            archive.add(root / relative, f"files/{relative.as_posix()}")
    partial.replace(target)  # a half-written archive never has the final name


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise BackupFailed("Это не резервная копия marketdesk: нет manifest.json.")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupFailed(f"Неизвестный формат резервной копии: {manifest.get('format')}.")
    return manifest


async def _postgres_is_empty(settings: Settings) -> bool:
    database = Database(settings.async_database_url)
    try:
        async with database.sessions() as session:
            tables = await session.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = current_schema()"
                )
            )
            return not tables
    finally:
        await database.dispose()


async def _check_empty(settings: Settings, backend: str) -> Path | None:
    current = "sqlite" if settings.is_sqlite else "postgresql"
    if backend != current:
        raise BackupFailed(
            f"Копия сделана на {backend}, а сервер настроен на {current}: восстановите "
            "на той же базе данных."
        )
    attachments = settings.data_dir / "attachments"
    if attachments.exists() and any(attachments.iterdir()):
        raise BackupFailed(
            f"В {attachments} уже есть файлы: восстановление — только в пустой каталог."
        )
    if current == "sqlite":
        path = _sqlite_path(settings)
        if path.exists() and path.stat().st_size > 0:
            raise BackupFailed(
                f"База {path} уже существует: восстановление — только в пустой каталог."
            )
        return path
    if not await _postgres_is_empty(settings):
        raise BackupFailed("В базе PostgreSQL уже есть таблицы: восстановите в пустую базу.")
    return None


async def restore(settings: Settings, source: Path) -> BackupResult:
    """Restore the archive ``source`` into the settings' empty data dir and database, then
    migrate to the current schema."""
    settings.ensure_data_dir()
    with tarfile.open(source, "r:*") as archive:
        manifest = _read_manifest(archive)
        database_file = await _check_empty(settings, str(manifest.get("backend")))
        with tempfile.TemporaryDirectory(prefix="marketdesk-restore-") as tmp:
            await asyncio.to_thread(archive.extractall, tmp, filter="data")
            dump = Path(tmp) / "database"
            if database_file is not None:
                await asyncio.to_thread(shutil.copyfile, dump, database_file)
            else:
                args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
                await asyncio.to_thread(_run, [*args, "--dbname", _libpq_url(settings), str(dump)])
            files = Path(tmp) / "files"
            if files.exists():
                await asyncio.to_thread(
                    shutil.copytree, files, settings.data_dir, dirs_exist_ok=True
                )
    database = Database(settings.async_database_url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()
    return BackupResult(
        str(manifest["backend"]), manifest.get("revision"), len(manifest.get("files", []))
    )
