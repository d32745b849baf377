"""Facts kept per process for a moment (store/kept.py): a value read while the fact was
forgotten (a change committed meanwhile) is not kept — it may be from before the change.
This raced in the webhook tests under parallel runs: a paused subscription still heard an
event, a new one heard none."""

from __future__ import annotations

import asyncio

from sqlalchemy import create_engine

from marketdesk.store.kept import KeptPerDatabase

ENGINE = create_engine("sqlite://")


def test_a_value_read_is_kept_and_forgotten_on_change() -> None:
    kept: KeptPerDatabase[list[int]] = KeptPerDatabase(60.0)

    async def read() -> list[int]:
        return [1]

    assert asyncio.run(kept.get_or_read(ENGINE, read)) == [1]
    assert kept.get(ENGINE) == [1]
    kept.forget()
    assert kept.get(ENGINE) is None


def test_a_read_under_way_when_the_fact_is_forgotten_is_not_kept() -> None:
    kept: KeptPerDatabase[list[int]] = KeptPerDatabase(60.0)

    async def main() -> tuple[list[int], list[int] | None, list[int]]:
        reading, changed = asyncio.Event(), asyncio.Event()

        async def stale_read() -> list[int]:
            reading.set()
            await changed.wait()  # the change commits and forgets meanwhile
            return [1]  # what the database said before the change

        async def change() -> None:
            await reading.wait()
            kept.forget()
            changed.set()

        got, _ = await asyncio.gather(kept.get_or_read(ENGINE, stale_read), change())
        after = kept.get(ENGINE)

        async def fresh_read() -> list[int]:
            return [1, 2]

        return got, after, await kept.get_or_read(ENGINE, fresh_read)

    got, after, fresh = asyncio.run(main())
    assert got == [1]  # its reader still gets it
    assert after is None  # but it is not kept
    assert fresh == [1, 2] and kept.get(ENGINE) == [1, 2]


def test_the_synchronous_form_keeps_alike() -> None:
    kept: KeptPerDatabase[int] = KeptPerDatabase(60.0)
    assert kept.get_or_read_sync(ENGINE, lambda: 5) == 5
    assert kept.get_or_read_sync(ENGINE, lambda: 6) == 5  # kept
    nothing: KeptPerDatabase[int] = KeptPerDatabase(0)
    assert nothing.get_or_read_sync(ENGINE, lambda: 5) == 5 and nothing.get(ENGINE) is None
