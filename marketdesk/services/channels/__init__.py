"""The outside channels' use cases: e-mail, Telegram and VK into the same conversations as
the web chat.

* :mod:`.inbound` — :func:`receive`: what arrives becomes one message through the chat's one
  door (``chat.send``), once per channel id; the bot answers first;
* :mod:`.delivery` — :func:`deliver_due`: the outbox of what goes out (written with each
  message, :mod:`marketdesk.services.chat.outbound`), retries, «не доставлено» and its
  retry;
* :mod:`.configuration` — the channels' settings as admins see them (secrets masked);
* :mod:`.contacts` — a customer's address in a channel, and who writes from it;
* :mod:`.threads` — :func:`find_thread`: the conversation a reply belongs to (an e-mail's
  ``In-Reply-To``/``References``, the number in its subject);
* :mod:`.ports` — :class:`ChannelSender`, the interface of an adapter's outbound side.

An adapter (``marketdesk/channels/<name>.py``) reads its channel, calls :func:`receive`,
acknowledges to the channel after it returned, and implements :class:`ChannelSender`.
"""

from __future__ import annotations

from .configuration import ChannelConfig, channel_configuration, masked_url
from .contacts import contact_for, link_customer, principal_of
from .delivery import (
    DeliveryPolicy,
    DeliveryView,
    deliver_due,
    delivery_event,
    list_deliveries,
    retry_delivery,
)
from .inbound import InboundFile, InboundMessage, Received, client_msg_id, receive
from .ports import ChannelMessage, ChannelSender, DeliveryRefused, NotForChannel, OutboundFile
from .threads import find_thread

__all__ = [
    "ChannelConfig",
    "ChannelMessage",
    "ChannelSender",
    "DeliveryPolicy",
    "DeliveryRefused",
    "DeliveryView",
    "InboundFile",
    "InboundMessage",
    "NotForChannel",
    "OutboundFile",
    "Received",
    "channel_configuration",
    "client_msg_id",
    "contact_for",
    "deliver_due",
    "delivery_event",
    "find_thread",
    "link_customer",
    "list_deliveries",
    "masked_url",
    "principal_of",
    "receive",
    "retry_delivery",
]
