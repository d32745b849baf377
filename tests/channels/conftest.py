"""Fixtures of the outside channels' tests: the live-chat tests' app and helpers, and a way
to run the channel use cases in the app's own event loop (its database, bot and broker)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from marketdesk.services import chat
from tests.chat.conftest import ChatEnv, _env
from tests.conftest import TestDatabase, backends

T = TypeVar("T")


class ChannelEnv(ChatEnv):
    """The chat tests' environment, plus the app's chat context and loop."""

    @property
    def state(self) -> Any:
        return self.client.app.state  # type: ignore[attr-defined]

    def ctx(self) -> chat.ChatContext:
        state = self.state
        return chat.ChatContext(
            bot=state.bot, publish=state.broker.publish, database=state.database
        )

    def in_app(self, work: Callable[[], Awaitable[T]]) -> T:
        """``await work()`` in the app's event loop (its broker and database live there)."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(work)


@pytest.fixture(scope="module", params=backends())
def channel_env(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChannelEnv]:
    for env in _env(make_database, request.param):
        yield ChannelEnv(env.db, env.client)
