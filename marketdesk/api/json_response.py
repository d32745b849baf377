"""The JSON responses that the routes build from a dict (the chat's sends and conversations,
the errors): rendered by orjson, not by the standard library's encoder.

FastAPI renders a route with a response model through pydantic straight to bytes; a route
that returns ``JSONResponse(a_dict)`` went through ``json.dumps``, which took about 4 % of
the instructions of a bot's follow-up (``bench/instructions.py``: a message's response
carries the message, the bot's replies and the conversation). The body is the same JSON
(compact, letters as UTF-8) that Starlette's ``JSONResponse`` writes; what orjson refuses
(a lone surrogate, an integer beyond 64 bits) is rendered as Starlette does."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as StarletteJSONResponse

__all__ = ["JSONResponse"]

_OPTIONS = orjson.OPT_NON_STR_KEYS


class JSONResponse(StarletteJSONResponse):
    """Starlette's ``JSONResponse``, its body made by orjson."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(content)
