"""What a channel's route needs of the running application (its ``app.state``): the chat
context its messages go in with, and where the attachment store is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marketdesk.services import chat
from marketdesk.settings import Settings

__all__ = ["chat_context_of", "data_dir_of"]


def chat_context_of(state: Any) -> chat.ChatContext:
    """The server's bot, broker, chat writer and database (set up by ``server.py``)."""
    return chat.ChatContext.of_server(state)


def data_dir_of(state: Any) -> Path:
    settings: Settings = state.settings
    return settings.data_dir
