"""A delivery worker's rounds in one process take turns (``workers.waiting.RoundWorker``): a
request's ``round_now`` that comes while the loop's round is sending what it claimed ends
after that round, so what the request raised has been sent when the request ends."""

from __future__ import annotations

import asyncio
import logging

from marketdesk.workers.waiting import RoundWorker


class _Outbox(RoundWorker):
    """One item; a round claims what is due, then takes a while to send it."""

    def __init__(self) -> None:
        super().__init__(interval=60.0, log=logging.getLogger("test"), what="test")
        self.due = ["sms"]
        self.sent: list[str] = []
        self.sending = asyncio.Event()
        self.release = asyncio.Event()
        self.rounds = 0

    async def round(self) -> int:
        self.rounds += 1
        claimed, self.due = self.due, []
        if claimed:
            self.sending.set()
            await self.release.wait()
            self.sent += claimed
        return len(claimed)


def test_round_now_waits_for_the_round_in_progress_and_then_runs_its_own() -> None:
    async def main() -> tuple[list[str], int, int]:
        worker = _Outbox()
        loop = asyncio.create_task(worker.run())
        await worker.sending.wait()  # the loop has claimed the item and is sending it
        request = asyncio.create_task(worker.round_now())
        await asyncio.sleep(0.01)
        assert not request.done()  # it does not return early, finding the item claimed
        worker.release.set()
        found = await request
        seen = list(worker.sent)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        return seen, found, worker.rounds

    sent, found, rounds = asyncio.run(main())
    assert sent == ["sms"]  # sent when round_now returned
    assert found == 0  # its own round found nothing left
    assert rounds >= 2
