"""The clean-up worker: every ``MARKETDESK_CLEANUP_INTERVAL_SECONDS`` it removes ended
sessions, idle visitors, old login codes and SMS records, and orphan attachment files
(``marketdesk.services.cleanup``; ``marketdesk cleanup`` runs the same once)."""

from __future__ import annotations

import asyncio
import logging

from marketdesk.services.cleanup import (
    CleanupPolicy,
    CleanupResult,
    clean_database,
    clean_orphan_files,
)
from marketdesk.settings import Settings
from marketdesk.store.db import Database

__all__ = ["cleanup_once", "policy_from", "run_cleanup"]

log = logging.getLogger("marketdesk.cleanup")


def policy_from(settings: Settings) -> CleanupPolicy:
    return CleanupPolicy(
        session_days=settings.cleanup_session_days,
        visitor_hours=settings.cleanup_visitor_hours,
        login_code_days=settings.cleanup_login_code_days,
        sms_days=settings.cleanup_sms_days,
        orphan_file_minutes=settings.cleanup_orphan_file_minutes,
        webhook_days=settings.webhook_log_days,
        security_message_days=settings.cleanup_security_message_days,
    )


async def cleanup_once(database: Database, settings: Settings) -> CleanupResult:
    policy = policy_from(settings)
    async with database.sessions() as session:
        result = await clean_database(session, policy)
        result.files = await clean_orphan_files(session, settings.data_dir, policy)
    return result


async def run_cleanup(database: Database, settings: Settings) -> None:
    """Run until cancelled; the first round comes one interval after the start."""
    while True:
        await asyncio.sleep(settings.cleanup_interval_seconds)
        try:
            result = await cleanup_once(database, settings)
            log.info("clean-up: %s", result)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("clean-up round failed")
