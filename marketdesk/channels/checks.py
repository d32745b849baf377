"""``marketdesk channels check``: each configured outside channel's credentials and
connectivity, with what is wrong in Russian. Each adapter gives its own check
(``async def check_<channel>(settings) -> list[str]``: the problems found, none when it is
in order); a channel that is not configured is reported as such, not checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from marketdesk.services.channels.configuration import configs
from marketdesk.settings import Settings

__all__ = ["ChannelCheck", "check_channels"]

Check = Callable[[Settings], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    channel: str
    title: str
    configured: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.configured and not self.problems


def _checks() -> Mapping[str, Check]:
    """The adapters' checks, by channel (imported here: the CLI needs no web stack)."""
    from .mail import check_email

    return {"email": check_email}


async def check_channels(settings: Settings) -> list[ChannelCheck]:
    """Check every configured channel; → one result per outside channel."""
    checks = _checks()
    results: list[ChannelCheck] = []
    for config in configs(settings):
        if not config.configured:
            results.append(ChannelCheck(config.channel, config.title, False, ()))
            continue
        check = checks.get(config.channel)
        problems = (
            await check(settings)
            if check is not None
            else ["проверка этого канала не поддерживается"]
        )
        results.append(ChannelCheck(config.channel, config.title, True, tuple(problems)))
    return results
