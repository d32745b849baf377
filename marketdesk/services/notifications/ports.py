"""The one interface every channel adapter implements (``marketdesk.channels``): it is given
an :class:`OutgoingNotification` and either returns (the provider took it) or raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["DeliveryRefused", "NotificationSender", "OutgoingNotification"]


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


class DeliveryRefused(Exception):
    """The provider refused for good (a bad address): no retry, the notification fails.
    Any other exception of an adapter is temporary and retried with backoff."""


class NotificationSender(Protocol):
    """A channel's adapter."""

    async def send(self, message: OutgoingNotification) -> None:
        """Hand the message over; raise if the provider did not take it."""
