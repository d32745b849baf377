"""The webhook worker: sends the webhooks' outbox after the commit
(``services.webhooks.delivery``), signed, in order per subscription, with retries.

Started by ``server.py`` in every server process; ``marketdesk worker`` runs it too, for
extra processes on PostgreSQL (they share the work with ``FOR UPDATE SKIP LOCKED``). A round
that tried something is followed at once by the next; an idle worker waits ``interval``
seconds, or less when :meth:`WebhookWorker.wake` is called (an event was raised in this
process: ``services.webhooks.on_emitted``, or an admin retried a delivery).

The HTTP client is httpx: no redirects followed (a 3xx is a failed try: a redirect could
lead a signed body anywhere), a timeout per request (``MARKETDESK_WEBHOOK_TIMEOUT_SECONDS``),
no environment proxies or netrc credentials (``trust_env=False``)."""

from __future__ import annotations

import asyncio
import logging

import httpx

from marketdesk import __version__
from marketdesk.services.webhooks import Poster, PostFailed, WebhookPolicy, deliver_due
from marketdesk.store.db import Database

from .waiting import wait_to_be_woken

__all__ = ["WebhookWorker", "http_poster"]

log = logging.getLogger("marketdesk.webhooks")


def http_poster(client: httpx.AsyncClient) -> Poster:
    """POST through ``client``: the answer's status, or :class:`PostFailed` without one."""

    async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise PostFailed(reason) from exc
        return response.status_code

    return post


class WebhookWorker:
    def __init__(
        self,
        database: Database,
        *,
        policy: WebhookPolicy,
        interval: float,
        post: Poster | None = None,
    ) -> None:
        self.database = database
        self.policy = policy
        self.interval = interval
        self.post = post
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Start the next round now (from the worker's own event loop only, like the
        notification worker's: a commit in another loop is left to the tick)."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is None or self._loop is running:
            self._wake.set()

    def _poster(self) -> Poster:
        if self.post is None:
            self._client = httpx.AsyncClient(
                timeout=self.policy.timeout,
                follow_redirects=False,
                trust_env=False,
                headers={"user-agent": f"marketdesk-webhooks/{__version__}"},
            )
            self.post = http_poster(self._client)
        return self.post

    async def round(self) -> int:
        async with self.database.sessions() as session:
            return await deliver_due(session, self._poster(), policy=self.policy)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
            self.post = None

    async def run(self) -> None:
        """Until cancelled."""
        self._loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    busy = await self.round() > 0
                except asyncio.CancelledError:
                    raise
                except Exception:  # a failed round is retried at the next tick
                    log.exception("webhook round failed")
                    busy = False
                if busy:
                    continue
                self._wake.clear()
                await wait_to_be_woken(self._wake, self.interval)
        finally:
            await self.aclose()
