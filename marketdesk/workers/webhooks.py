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

import logging

import httpx

from marketdesk import __version__
from marketdesk.services.webhooks import Poster, PostFailed, WebhookPolicy, deliver_due
from marketdesk.store.db import Database

from .waiting import RoundWorker

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


class WebhookWorker(RoundWorker):
    def __init__(
        self,
        database: Database,
        *,
        policy: WebhookPolicy,
        interval: float,
        post: Poster | None = None,
    ) -> None:
        super().__init__(interval=interval, log=log, what="webhook")
        self.database = database
        self.policy = policy
        self.post = post
        self._client: httpx.AsyncClient | None = None

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
        """Until cancelled; the HTTP client is closed at the end."""
        try:
            await super().run()
        finally:
            await self.aclose()
