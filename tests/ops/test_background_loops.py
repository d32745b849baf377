"""The background loops' SQLite calls run off the event loop's thread
(``workers.background.start_loops``), and so do those of the tasks they start; the caller's
own calls (a request's) stay in the loop's thread."""

from __future__ import annotations

import asyncio

from marketdesk.store.sqlite_driver import is_offloaded
from marketdesk.workers.background import start_loops


def test_loops_and_the_tasks_they_start_run_offloaded_and_the_caller_does_not() -> None:
    seen: dict[str, bool] = {}

    async def child() -> None:
        seen["child"] = is_offloaded()

    async def loop() -> None:
        seen["loop"] = is_offloaded()
        await asyncio.create_task(child())  # as the leader starts its loops

    async def main() -> None:
        seen["caller before"] = is_offloaded()
        tasks = start_loops({"a loop": loop()})
        seen["caller after"] = is_offloaded()
        assert [task.get_name() for task in tasks] == ["a loop"]
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert seen == {"caller before": False, "caller after": False, "loop": True, "child": True}
