"""Facts kept per process for a moment (store/kept.py): a value read while the fact was
forgotten (a change committed meanwhile) is not kept — it may be from before the change.
This raced in the webhook tests under parallel runs: a paused subscription still heard an
event, a new one heard none."""

from __future__ import annotations

import asyncio

import pytest
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


def test_in_its_last_share_one_reader_reads_again_and_the_others_keep_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Of the readers that come in the keep's last fifth, the first reads again (a new
    keep); the others get the value meanwhile and a look (``get``) still sees it; if that
    read never comes back, the keep ends all the same."""
    from marketdesk.store import kept as kept_module

    clock = [100.0]
    monkeypatch.setattr(kept_module.time, "monotonic", lambda: clock[0])
    kept: KeptPerDatabase[int] = KeptPerDatabase(1.0)
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    assert kept.get_or_read_sync(ENGINE, read) == 1
    clock[0] += 1.0 - kept_module.REFRESH_SHARE - 0.01
    assert kept.get_or_read_sync(ENGINE, read) == 1 and reads == [1]
    clock[0] += 0.02  # the last fifth: one reads again
    assert kept.get_or_read_sync(ENGINE, read) == 2
    assert [kept.get_or_read_sync(ENGINE, read) for _ in range(5)] == [2] * 5
    assert reads == [1, 1]
    clock[0] += 0.81  # the new keep's last fifth; this reader's read never comes back

    async def lost() -> int:
        raise OSError("the database went away")

    with pytest.raises(OSError):
        asyncio.run(kept.get_or_read(ENGINE, lost))
    assert kept.get(ENGINE) == 2  # the others keep it, and no one else reads
    assert kept.get_or_read_sync(ENGINE, read) == 2 and reads == [1, 1]
    clock[0] += 0.2  # the keep ends
    assert kept.get(ENGINE) is None
    assert kept.get_or_read_sync(ENGINE, read) == 3
