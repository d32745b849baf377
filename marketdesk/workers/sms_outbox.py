"""The SMS outbox worker: sends what the request that wrote it did not (a gateway that was
down, a process that stopped), and wipes the text of codes that expired unsent."""

from __future__ import annotations

import asyncio
import logging

from marketdesk.services.sms_outbox import SmsGateway, deliver_pending
from marketdesk.store.db import Database

__all__ = ["run_sms_outbox"]

log = logging.getLogger("marketdesk.sms")


async def run_sms_outbox(database: Database, gateway: SmsGateway, *, interval: float) -> None:
    """Run until cancelled; several processes may run it (each message is claimed once)."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with database.sessions() as session:
                await deliver_pending(session, gateway)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried at the next tick
            log.exception("SMS outbox round failed")
