"""What the chat's use cases need besides a database session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from marketdesk.bot import Bot
from marketdesk.settings import Settings
from marketdesk.store.db import Database

from .events import Publisher, no_publisher

if TYPE_CHECKING:
    from .known_states import KnownStates
    from .writer import ChatWriter

__all__ = ["ChatContext", "GuardObjected", "TextGuard"]


@dataclass(slots=True)
class ChatContext:
    """The bot, where live events go, the group-commit writer of the running server (None:
    each send commits alone) and the database (a send without a session of the caller's
    opens one there: the sockets) and the settings (the bot's actions on an account)."""

    bot: Bot | None = None
    publish: Publisher = no_publisher
    writer: ChatWriter | None = None
    database: Database | None = None
    settings: Settings | None = None  # the bot's account actions (None: from the environment)

    @property
    def known(self) -> KnownStates | None:
        """The chat writer's memory of conversations (None: no writer, or SQLite's)."""
        return None if self.writer is None else self.writer.known

    @classmethod
    def of_server(cls, state: Any) -> ChatContext:
        """The context of a running server: its bot, broker, chat writer, database and
        settings, as ``server.py`` sets them on the application's ``state`` (what it lacks
        stays unset)."""
        broker = getattr(state, "broker", None)
        return cls(
            bot=getattr(state, "bot", None),
            publish=no_publisher if broker is None else broker.publish,
            writer=getattr(state, "chat_writer", None),
            database=getattr(state, "database", None),
            settings=getattr(state, "settings", None),
        )


TextGuard = Callable[[Connection, int | None, str], bool]
"""``guard(connection, customer_id, text)``: whether ``text`` may go to the conversation's
customer (``customer_id``; None for a visitor). It runs inside the message's own
transaction, on its connection, after the conversation is locked and a retry is ruled out
(a retry of a stored message is answered as such, whatever the guard says now)."""


class GuardObjected(Exception):
    """The send's text guard objected: nothing was stored (the caller explains why)."""
