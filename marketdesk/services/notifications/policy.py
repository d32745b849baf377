"""What the outbox is configured with (``MARKETDESK_NOTIFY_*``; none of it is in the seeds)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

from marketdesk.domain.notifications import NotificationChannel
from marketdesk.domain.senders import SenderList
from marketdesk.settings import Settings

__all__ = ["NotifyPolicy"]


def _hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True, slots=True)
class NotifyPolicy:
    channels: frozenset[NotificationChannel]
    templates_dir: Path
    quiet_start: time
    quiet_end: time
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    claim: timedelta
    batch: int
    concurrency: int
    public_url: str
    senders: SenderList
    """The official senders (``MARKETDESK_OFFICIAL_SENDERS``), the phishing check's too."""
    offline_delay: timedelta = timedelta(minutes=5)
    """An operator's reply to a customer away from the chat is told to them after this."""
    templates_overlay: Path | None = None
    """The templates edited in the console's «Управление», read over ``templates_dir``."""

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> NotifyPolicy:
        """From ``settings``; without, from the environment (read once per process)."""
        if settings is None:
            return _from_environment()
        channels = {
            NotificationChannel(part.strip())
            for part in settings.notify_channels.split(",")
            if part.strip()
        }
        if settings.vk_token is None or not settings.vk_token.get_secret_value():
            channels.discard(NotificationChannel.VK)  # no community to write from
        return cls(
            channels=frozenset(channels),
            templates_dir=settings.notify_templates_dir,
            quiet_start=_hhmm(settings.notify_quiet_start),
            quiet_end=_hhmm(settings.notify_quiet_end),
            max_attempts=settings.notify_max_attempts,
            backoff_base=settings.notify_backoff_seconds,
            backoff_cap=settings.notify_backoff_max_seconds,
            claim=timedelta(seconds=settings.notify_claim_seconds),
            batch=settings.notify_batch,
            concurrency=settings.notify_concurrency,
            public_url=settings.public_url.rstrip("/"),
            senders=settings.official_sender_list(),
            offline_delay=timedelta(seconds=settings.notify_offline_delay_seconds),
            templates_overlay=settings.notify_templates_overlay(),
        )


@functools.cache
def _from_environment() -> NotifyPolicy:
    return NotifyPolicy.from_settings(Settings())
