"""The one interface every channel adapter implements (``marketdesk.channels``): it is given
an :class:`OutgoingNotification` and either returns (the provider took it) or raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DeliveryRefused",
    "NotificationSender",
    "OutgoingNotification",
    "PushTarget",
    "SendReport",
]


@dataclass(frozen=True, slots=True)
class PushTarget:
    """One browser of the customer (a push subscription, RFC 8030 / 8291)."""

    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class OutgoingNotification:
    id: int
    type: str
    event: str
    channel: str
    address: str
    sender: str | None
    subject: str | None
    body: str
    idempotency_key: str
    """The same on every try of this notification: the provider drops a repeat."""
    unsubscribe_url: str | None = None
    """A signed one-click link (marketing e-mail), no login needed."""
    customer_id: int | None = None
    created_at: str | None = None
    """ISO time the notification was raised (the centre shows it)."""
    push_targets: tuple[PushTarget, ...] = ()
    """Push: the customer's browsers at the time of the claim."""


@dataclass(frozen=True, slots=True)
class SendReport:
    """What an adapter may say besides «taken»: addresses that no longer exist (a push
    subscription the push service answered 404/410 for), which the outbox forgets; the
    provider's id of the message (its delivery reports name it)."""

    gone: tuple[str, ...] = ()
    provider_id: str | None = None


class DeliveryRefused(Exception):
    """The provider refused for good (a bad address): no retry, the notification fails.
    Any other exception of an adapter is temporary and retried with backoff. ``gone``: as in
    :class:`SendReport`."""

    def __init__(self, reason: str, *, gone: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.gone = gone


class NotificationSender(Protocol):
    """A channel's adapter."""

    async def send(self, message: OutgoingNotification) -> SendReport | None:
        """Hand the message over; raise if the provider did not take it."""
