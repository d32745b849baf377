"""The JSON columns' values go through ``store.json_codec`` (orjson): letters stored as
UTF-8, and what orjson refuses (a lone surrogate, an integer beyond 64 bits) written and read
by the standard library, on both databases, without loss."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from marketdesk.store import json_codec
from marketdesk.store.db import Database
from marketdesk.store.models import Conversation, Visitor
from tests.conftest import TestDatabase, backends, prepare

_VALUES: list[Any] = [
    {"requested_line": "travel", "заметка": "Здравствуйте, где мой заказ?"},
    {"text": "обрыв \ud83d посреди пары"},  # a lone surrogate: orjson refuses it
    {"big": 2**70, "small": -1, "list": [1, 2.5, None, True]},
    {"1": "keys", "nested": {"a": [{"b": "ё"}]}},
]


@pytest.mark.parametrize("value", _VALUES)
def test_dumps_and_loads_give_back_the_value(value: Any) -> None:
    assert json_codec.loads(json_codec.dumps(value)) == value
    assert json_codec.loads(json_codec.dumps(value).encode("utf-8", "surrogatepass")) == value


def test_int_keys_are_written_as_text_as_the_standard_library_does() -> None:
    assert json_codec.loads(json_codec.dumps({1: "a"})) == json.loads(json.dumps({1: "a"}))


def test_letters_are_written_as_utf8_not_escaped() -> None:
    assert json_codec.dumps({"a": "ё"}) == '{"a":"ё"}'


@pytest.mark.parametrize("backend", backends())
def test_json_columns_keep_every_value(
    backend: str, make_database: Callable[[str], TestDatabase]
) -> None:
    database_info = make_database(backend)
    prepare(database_info.url, demo=False)

    async def main(url: str) -> tuple[list[Any], str]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                session.add(Visitor(id="v-json"))
                await session.flush()  # no relationship orders the two inserts
                rows = [Conversation(visitor_id="v-json", extra=value) for value in _VALUES]
                session.add_all(rows)
                await session.commit()
                ids = [row.id for row in rows]
            async with database.sessions() as session:
                found = {
                    c.id: c.extra
                    for c in await session.scalars(
                        select(Conversation).where(Conversation.id.in_(ids))
                    )
                }
                raw = await session.scalar(
                    text("SELECT CAST(extra AS TEXT) FROM conversations WHERE id = :id"),
                    {"id": ids[0]},
                )
            return [found[i] for i in ids], str(raw)
        finally:
            await database.engine.dispose()

    stored, raw = asyncio.run(main(database_info.url))
    assert stored == _VALUES
    assert "Здравствуйте" in raw  # as UTF-8, not \u escapes
