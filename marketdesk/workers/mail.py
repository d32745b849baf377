"""Polling the support mailbox (``MARKETDESK_IMAP_URL``): the loop around the IMAP adapter
(``channels.mail.imap``), started by ``server.py`` when the mailbox is configured.

A round takes what arrived; an idle mailbox is waited on (IDLE, or ``interval`` seconds).
An error (the server down, a refused login) closes the connection and waits ``retry``
seconds, doubling up to ``interval`` × 10, before it connects again."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

__all__ = ["MailSource", "run_mailbox"]

log = logging.getLogger("marketdesk.channels.mail")


class MailSource(Protocol):
    async def poll(self) -> int: ...

    async def wait(self, seconds: float) -> None: ...

    async def close(self) -> None: ...


async def run_mailbox(source: MailSource, *, interval: float, retry: float = 5.0) -> None:
    """Until cancelled."""
    pause = retry
    try:
        while True:
            try:
                if await source.poll() == 0:
                    await source.wait(interval)
                pause = retry
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round connects again
                log.warning("mailbox round failed (%s: %s)", type(exc).__name__, exc)
                await source.close()
                await asyncio.sleep(pause)
                pause = min(pause * 2, interval * 10)
    finally:
        await source.close()
