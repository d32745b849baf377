"""Settings read from environment variables (prefix ``MARKETDESK_``)."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["REPO_ROOT", "Settings", "normalize_database_url"]

REPO_ROOT = Path(__file__).resolve().parents[1]


def normalize_database_url(url: str) -> str:
    """Turn a plain ``postgresql://`` or ``sqlite://`` URL into its async-driver form."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


class Settings(BaseSettings):
    """Everything the service needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="MARKETDESK_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the SQLite file and keys live")
    database_url: str | None = Field(default=None, description="default: SQLite in the data dir")
    redis_url: str | None = None
    demo: bool = Field(default=True, description="load the demo data set on first start")
    demo_password: str | None = None
    kb_dir: Path = REPO_ROOT / "content" / "kb"
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    secret_key: str | None = Field(
        default=None, description="hashes certificate codes; default: a key in the data dir"
    )
    log_level: str = "info"
    sla_interval_seconds: float = Field(default=60.0, gt=0, description="SLA timer period")
    kb_watch_interval_seconds: float = Field(default=2.0, gt=0)
    socket_reauth_seconds: float = Field(
        default=60.0, gt=0, description="how often an open WebSocket's token is checked again"
    )
    # SMS (login codes)
    sms_retry_seconds: float = Field(
        default=10.0, gt=0, description="how often unsent SMS are tried again (default 10 s)"
    )
    # uploads: quotas (0: no limit); configuration defaults, the seeds give none
    upload_quota_conversation_mb: int = Field(
        default=100, ge=0, description="files in one conversation, MB (default 100)"
    )
    upload_quota_daily_mb: int = Field(
        default=200, ge=0, description="what one customer or visitor uploads in 24 h, MB"
    )
    upload_quota_daily_files: int = Field(
        default=200, ge=0, description="files one customer or visitor uploads in 24 h"
    )
    # clean-up (a worker in every server process, and `marketdesk cleanup`)
    cleanup_interval_seconds: float = Field(
        default=3600.0, gt=0, description="how often the clean-up runs (default hourly)"
    )
    cleanup_session_days: int = Field(
        default=7, ge=0, description="expired or revoked sessions are kept this long (days)"
    )
    cleanup_visitor_hours: int = Field(
        default=24, ge=1, description="a visitor with no conversation is removed after (hours)"
    )
    cleanup_login_code_days: int = Field(
        default=1, ge=1, description="login codes (hashes) are kept this long (days)"
    )
    cleanup_sms_days: int = Field(
        default=7, ge=0, description="sent or expired SMS records are kept this long (days)"
    )
    cleanup_orphan_file_minutes: int = Field(
        default=60, ge=10, description="a file with no attachment row is removed after (min)"
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @cached_property
    def async_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.data_dir / 'marketdesk.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")

    def ensure_data_dir(self) -> Path:
        """The data dir, created if need be, readable by the server's user only (0700): it
        holds the database, the attachments and the secret key."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.data_dir.stat().st_mode & 0o077:
            with contextlib.suppress(OSError):  # not ours to change (a mounted volume)
                self.data_dir.chmod(0o700)
        return self.data_dir

    def hashing_secret(self) -> bytes:
        """The installation's secret for hashing certificate codes: MARKETDESK_SECRET_KEY, or a
        random key kept in the data dir (several servers on one database must share it)."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.ensure_data_dir() / "secret.key"
        if not path.exists():
            # written aside, then linked: atomic, and the first of two racing processes wins
            tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_bytes()
