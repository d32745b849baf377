"""The routes' dict responses (``api.json_response.JSONResponse``) are rendered by orjson:
the same bytes as Starlette's ``JSONResponse`` for what the API sends, and what orjson
refuses is rendered as Starlette does."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from starlette.responses import JSONResponse as StarletteJSONResponse

from marketdesk.api.json_response import JSONResponse

SENT = {
    "id": 12,
    "text": "Как активировать подарочный сертификат? «Ёлка» — 5 000 ₽ 👍",
    "replies": [{"author": "bot", "at": datetime(2026, 12, 7, tzinfo=UTC).isoformat()}],
    "duplicate": False,
    "score": 0.25,
    "nothing": None,
    "empty": {},
}


def test_the_body_is_starlettes_byte_for_byte() -> None:
    ours = JSONResponse(SENT, status_code=201)
    theirs = StarletteJSONResponse(SENT, status_code=201)
    assert ours.body == theirs.body
    assert ours.status_code == 201
    assert ours.headers["content-type"] == theirs.headers["content-type"]
    # rendered by orjson (the standard library's encoder is not called)
    assert ours.body == orjson.dumps(SENT)


@pytest.mark.parametrize(
    "refused",
    [
        {"text": "половина пары \ud83d"},  # a lone surrogate
        {"big": 2**70},  # beyond 64 bits
    ],
)
def test_what_orjson_refuses_is_rendered_as_starlette_does(refused: dict[str, object]) -> None:
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(refused)
    try:
        theirs = StarletteJSONResponse(refused).body
    except UnicodeEncodeError:  # Starlette cannot encode a lone surrogate either
        with pytest.raises(UnicodeEncodeError):
            JSONResponse(refused)
        return
    assert JSONResponse(refused).body == theirs


def test_the_chat_and_the_errors_answer_with_it() -> None:
    """The chat's routes and the error handlers build their answers with it."""
    from marketdesk.api import chat, conversations, errors

    assert chat.JSONResponse is JSONResponse
    assert conversations.JSONResponse is JSONResponse
    assert errors.JSONResponse is JSONResponse
