"""The server's shutdown stops its background loops within a grace period, even one that
swallows its cancellation (the hang of Python 3.11's ``wait_for``), and names it in the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from marketdesk.workers.board import run_board_push
from marketdesk.workers.stopping import stop_tasks


async def _obedient() -> None:
    await asyncio.sleep(3600)


async def _stubborn(stopped: asyncio.Event) -> None:
    """Swallows the first cancellation, as a ``wait_for`` racing a wake-up can."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(3600)
    try:
        await asyncio.sleep(3600)
    finally:
        stopped.set()


def test_loops_stop_and_a_stubborn_one_is_named_and_left(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[list[str], bool, bool]:
        stopped = asyncio.Event()
        good = asyncio.create_task(_obedient(), name="good")
        bad = asyncio.create_task(_stubborn(stopped), name="bad")
        await asyncio.sleep(0)
        left = await stop_tasks([good, bad], grace=0.2)
        await asyncio.sleep(0.05)  # the second cancellation reaches the stubborn loop
        return [task.get_name() for task in left], good.cancelled(), stopped.is_set()

    with caplog.at_level(logging.ERROR, logger="marketdesk.workers"):
        left, good_cancelled, bad_stopped = asyncio.run(main())
    assert left == ["bad"]
    assert good_cancelled
    assert bad_stopped
    assert "bad did not stop" in caplog.text
    assert "good" not in caplog.text


def test_nothing_to_stop() -> None:
    assert asyncio.run(stop_tasks([])) == []


def test_the_board_push_stops_when_cancelled_while_a_change_arrives() -> None:
    """The wallboard's loop is cancelled at the moment a queue change wakes it: it stops."""

    class Broker:
        def __init__(self) -> None:
            self.callback: object = None

        def subscribe(self, _channels: object, callback: object) -> object:
            self.callback = callback

            class Subscription:
                def close(self) -> None:
                    pass

                async def ready(self) -> None:
                    pass

            return Subscription()

    async def main() -> bool:
        import marketdesk.workers.board as board_module

        async def no_push(*_args: object, **_kwargs: object) -> int:
            return 0

        original = board_module.push_once
        board_module.push_once = no_push  # type: ignore[assignment]
        try:
            broker = Broker()
            task = asyncio.create_task(
                run_board_push(None, broker, interval=3600, warning=None)  # type: ignore[arg-type]
            )
            for _ in range(3):
                await asyncio.sleep(0)
            broker.callback("line:x", {})  # type: ignore[operator]
            task.cancel()
            left = await stop_tasks([task], grace=2)
            return not left and task.cancelled()
        finally:
            board_module.push_once = original

    assert asyncio.run(main())
