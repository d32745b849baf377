"""The OpenAPI document, completed in one place: every status a route may answer, with the
one error shape, and the bearer scheme; and the interactive docs, served from an installed
package (``fastapi-offline``: Swagger UI and ReDoc) under a strict CSP, never from a CDN.

FastAPI documents only a route's success and 422. The statuses added here follow from what a
route takes, so the routers stay as they are:

- a route behind a bearer token: 401 and 403 (a role or a caller it does not serve);
- a route with a path parameter or an id in its body: 404 (a missing id and a forbidden one
  answer the same);
- a route with a body: 413 (``MARKETDESK_MAX_BODY_BYTES``) and 422; with parameters: 422;
- the state changes of ``_CONFLICTS``: 409; the limited routes of ``_RATE_LIMITED``: 429;
- every route: 503 (the database is down).

With ``MARKETDESK_API_DOCS=false`` the pages ``/docs`` and ``/redoc`` answer 404; the
machine-readable ``/openapi.json`` stays (clients and the schemathesis test read it; it
says nothing the source does not).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles

from . import deps
from .csp import page_headers
from .errors import http_error_body

__all__ = ["install_docs", "install_openapi"]

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "стабильный машинный код (все коды: docs/errors.md)",
                },
                "message": {"type": "string", "description": "текст для человека, по-русски"},
                "retry_after": {"type": "integer", "description": "через сколько секунд"},
                "fields": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": True,
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}

_DESCRIPTIONS = {
    400: "Некорректный запрос",
    401: "Нет токена, токен неверен или сессия истекла",
    403: "Недостаточно прав",
    404: "Не найдено (или недоступно вызывающему)",
    409: "Конфликт с текущим состоянием",
    413: "Слишком большое тело запроса",
    422: "Ошибка в данных запроса",
    429: "Слишком много запросов; заголовок Retry-After",
    503: "Сервис временно недоступен (база данных); заголовок Retry-After",
}

# state changes that may meet a state that forbids them (a closed chat, a taken one, ...)
_CONFLICTS = re.compile(
    r"^(post|put) /api/v1/(console/)?conversations/\{conversation_id\}/"
    r"|^post /api/v1/tasks/\{number\}/(status|assign)$"
    r"|^post /api/v1/customers/\{customer_id\}/coupon-ban/review$"
    r"|^post /api/v1/webhook-deliveries/\{delivery_id\}/retry$"
    # the buyer ↔ seller chat (issue 14): Retail goods, a closed or passed dialogue
    r"|^post /api/v1/(me/seller-chats|seller/dialogues/\{conversation_id\}/to-support)$"
    # an article edit that would drop the bot's evaluation (issue 16)
    r"|^(put /api/v1/content/articles/\{key\}|post /api/v1/content/articles/\{key\}/rollback)$"
)
# the routes that count requests (by caller, IP, phone, login; see the rate limiter)
# (a route may also declare ``responses={429: ...}`` itself; that is kept)
_RATE_LIMITED = re.compile(
    r"^post /api/v1/(auth/login|auth/phone/code|auth/phone/verify|visitors|conversations"
    r"|conversations/\{conversation_id\}/(messages|attachments)"
    r"|console/conversations/\{conversation_id\}/messages"
    r"|tasks|products/\{code\}/inaccuracy|me/certificates/activate)$"
    r"|^get /api/v1/certificates/lookup$"
)
# answers besides the documented success: idempotent sends answer 200 for a duplicate and
# 201 for a new message; a new conversation past the open-per-line cap is the open one (200)
_EXTRA_SUCCESS = re.compile(
    r"^post /api/v1/(console/)?conversations/\{conversation_id\}/(messages|attachments)$"
    r"|^post /api/v1/conversations$"
    r"|^post /api/v1/me/seller-chats$"
)
# routes that check credentials themselves (no bearer token): a wrong password or code
_OWN_CREDENTIALS = re.compile(r"^post /api/v1/auth/(login|phone/verify)$")
_AUTH_CALLS: set[Callable[..., Any]] = {
    deps.get_principal,
    deps.bearer_token,
    deps.get_sync_key,  # the integration's API keys (issue 16)
}
# the outside channels' webhooks (and the SMS gateway's reports): a wrong secret is 403, a
# channel not connected 404
_WEBHOOKS = re.compile(r"^post /api/v1/(channels/|notifications/sms-status$)")


def _calls(dependant: Any) -> set[Any]:
    found: set[Any] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        if current.call is not None:
            found.add(current.call)
        stack.extend(current.dependencies)
    return found


def _authenticated_operations(app: FastAPI) -> set[tuple[str, str]]:
    result: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        path = getattr(route, "path_format", None)
        if dependant is None or path is None or not (_calls(dependant) & _AUTH_CALLS):
            continue
        for method in getattr(route, "methods", None) or ():
            result.add((method.lower(), path))
    return result


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status) or http_error_body(status)[1],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {
                "description": "через сколько секунд повторить",
                "schema": {"type": "integer"},
            }
        }
    return response


def _links_an_id(schema: dict[str, Any], operation: dict[str, Any]) -> bool:
    """Whether the body names a record by id (``customer_id``, ``conversation_id``, ...,
    or a list of them: ``ids``, ``product_ids``)."""
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        body = media.get("schema", {})
        ref = body.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            body = schema["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
        for name in body.get("properties", {}):
            names_ids = name == "ids" or name.endswith(("_id", "_ids"))
            if names_ids and name != "client_msg_id":
                return True
    return False


def complete(schema: dict[str, Any], authenticated: set[tuple[str, str]]) -> dict[str, Any]:
    """Add the error component, the bearer scheme and every status to each operation."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    # FastAPI's own validation error shape is not what the API answers
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "токен оператора (POST /api/v1/auth/login), покупателя "
        "(POST /api/v1/auth/phone/verify) или посетителя (POST /api/v1/visitors)",
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            key = f"{method} {path}"
            parameters = operation.get("parameters", [])
            statuses = {503}
            if (method, path) in authenticated:
                statuses |= {401, 403}
                operation["security"] = [{"bearer": []}]
            if any(p.get("in") == "path" for p in parameters) or _links_an_id(schema, operation):
                statuses.add(404)
            if "requestBody" in operation:
                statuses |= {413, 422}
            if parameters:
                statuses.add(422)
            if _OWN_CREDENTIALS.search(key):
                statuses.add(401)
            if _WEBHOOKS.search(key):
                statuses |= {403, 404}
            if _CONFLICTS.search(key):
                statuses.add(409)
            if _RATE_LIMITED.search(key):
                statuses.add(429)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses[str(status)] = _error_response(status)
            if _EXTRA_SUCCESS.search(key):
                success = next((responses[s] for s in ("200", "201") if s in responses), None)
                if success is not None:
                    responses.setdefault("200", {**success, "description": "Повтор: то же"})
                    responses.setdefault("201", {**success, "description": "Создано"})
    return schema


def install_openapi(app: FastAPI) -> None:
    """``app.openapi()`` returns the completed document (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(build(), _authenticated_operations(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# ---------------------------------------------------------------------- the docs pages
def _static_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _with_csp(page: HTMLResponse, *, styles_inline: bool) -> HTMLResponse:
    """A CSP for a docs page: its own inline script allowed by its hash, nothing foreign."""
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    style = "'self' 'unsafe-inline'" if styles_inline else "'self'"
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src {style}; "
        "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    page.headers.update(page_headers(csp, frame_options="DENY"))
    return page


def install_docs(app: FastAPI, *, enabled: bool) -> None:
    """Swagger UI at ``/docs`` and ReDoc at ``/redoc``, from the installed package; without
    ``enabled``, neither page exists."""
    if not enabled:
        return
    static = "/docs/static"
    app.mount(static, StaticFiles(directory=str(_static_dir())), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{static}/swagger-ui.css",
            swagger_favicon_url=f"{root}{static}/favicon.png",
            oauth2_redirect_url=None,
        )
        # swagger-ui sets element styles from script only: no inline style is needed
        return _with_csp(page, styles_inline=False)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} — API",
            redoc_js_url=f"{root}{static}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{static}/favicon.png",
            with_google_fonts=False,
        )
        # ReDoc styles itself with <style> elements it creates (styled-components)
        return _with_csp(page, styles_inline=True)
