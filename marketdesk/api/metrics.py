"""``GET /metrics``: the Prometheus metrics of this process, or of every process of ``serve
--workers N`` (``marketdesk.observability``), for a scraper that presents
``MARKETDESK_METRICS_TOKEN`` as a bearer token. Without a token configured the route does
not exist (404); a missing or wrong token is 401. Not in the OpenAPI document: it is for the
people who run the server, not for the API's clients."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from .errors import error_response, http_error_body

__all__ = ["router"]

router = APIRouter(tags=["operations"], include_in_schema=False)

REFUSAL_CODE = "invalid_metrics_token"
REFUSAL_MESSAGE = "Нужен верный токен доступа к метрикам (MARKETDESK_METRICS_TOKEN)."


def _bearer(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    configured = request.app.state.settings.metrics_token
    expected = configured.get_secret_value() if configured is not None else ""
    if not expected:
        return error_response(404, *http_error_body(404))
    if not hmac.compare_digest(_bearer(request).encode(), expected.encode()):
        return error_response(401, REFUSAL_CODE, REFUSAL_MESSAGE, {"WWW-Authenticate": "Bearer"})
    body, content_type = request.app.state.metrics.exposition()
    return Response(body, media_type=content_type)
