"""Live events between the services and the sockets: in-process, or Redis pub/sub.
The events themselves are typed in ``marketdesk.services.chat.events``."""

from .broker import Broker, Handler, InProcessBroker, RedisBroker, Subscription, create_broker

__all__ = [
    "Broker",
    "Handler",
    "InProcessBroker",
    "RedisBroker",
    "Subscription",
    "create_broker",
]
