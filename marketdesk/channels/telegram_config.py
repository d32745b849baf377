"""What the rest of the server knows of the Telegram adapter without loading it: its
settings and the interface of its inbound side. The adapter (``telegram.py``) imports
aiogram, whose models cost about five seconds of CPU to import; a server without
``MARKETDESK_TELEGRAM_TOKEN`` never loads it (``senders.py`` imports it only then)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from marketdesk.services import chat
from marketdesk.settings import Settings

__all__ = ["TelegramConfig", "TelegramInbound", "is_telegram", "telegram_of"]


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """``MARKETDESK_TELEGRAM_*``."""

    token: str
    secret: str | None
    api: str
    mode: str

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig | None:
        if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
            return None
        secret = settings.telegram_secret.get_secret_value() if settings.telegram_secret else None
        return cls(
            token=settings.telegram_token.get_secret_value(),
            secret=secret or None,
            api=settings.telegram_api.rstrip("/"),
            mode=settings.telegram_mode,
        )


class TelegramInbound(Protocol):
    """The adapter's inbound side, as the webhook route and the polling worker use it."""

    config: TelegramConfig

    def secret_matches(self, path_secret: str, header: str | None) -> bool: ...

    def parse_update(self, data: Any) -> Any: ...

    async def handle_update(
        self, ctx: chat.ChatContext, update: Any, *, data_dir: Path
    ) -> None: ...

    async def prepare_polling(self) -> None: ...

    async def get_updates(self, offset: int | None, wait: int) -> Sequence[tuple[int, Any]]: ...


def is_telegram(adapter: object) -> bool:
    """Whether a channel sender is the Telegram adapter (without importing it)."""
    return isinstance(getattr(adapter, "config", None), TelegramConfig) and hasattr(
        adapter, "handle_update"
    )


def telegram_of(senders: Any) -> TelegramInbound | None:
    """The Telegram adapter among a process's channel senders, if it has one."""
    adapter = senders.get("telegram") if isinstance(senders, dict) else None
    return adapter if is_telegram(adapter) else None
