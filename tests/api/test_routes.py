"""Every route is reachable: a request to a route's own path (its parameters filled in) is
matched by that route, not by one registered before it. The routers are included busiest
first (marketdesk.api.app), and this holds whatever their order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.convertors import FloatConvertor, IntegerConvertor, PathConvertor, UUIDConvertor
from starlette.routing import Match

from marketdesk.server import create_app
from marketdesk.settings import Settings


def _routes(routes: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        flat.extend(_routes(included.routes) if included is not None else [route])
    return flat


def _sample(convertor: Any) -> str:
    if isinstance(convertor, IntegerConvertor):
        return "1234567"
    if isinstance(convertor, FloatConvertor):
        return "1.5"
    if isinstance(convertor, UUIDConvertor):
        return "0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e"
    if isinstance(convertor, PathConvertor):
        return "some/file.txt"
    return "sample-1"


def _path(route: APIRoute | APIWebSocketRoute) -> str:
    path = route.path_format
    for name, convertor in route.param_convertors.items():
        path = path.replace("{" + name + "}", _sample(convertor))
    return path


def _first_match(routes: list[Any], scope: dict[str, Any]) -> Any:
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match == Match.FULL:
            return route
    return None


def test_every_route_is_matched_by_itself(tmp_path: Path) -> None:
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    routes = _routes(app.router.routes)
    checked = 0
    shadowed = []
    for route in routes:
        if isinstance(route, APIRoute):
            kinds = [("http", method) for method in sorted(route.methods)]
        elif isinstance(route, APIWebSocketRoute):
            kinds = [("websocket", None)]
        else:
            continue
        for kind, method in kinds:
            scope = {"type": kind, "path": _path(route), "root_path": "", "app": app}
            if method:
                scope["method"] = method
            found = _first_match(routes, scope)
            checked += 1
            if found is not route:
                shadowed.append((method, route.path, getattr(found, "path", None)))
    assert checked > 150  # the API is really there
    assert shadowed == []


def test_the_chats_routes_come_first(tmp_path: Path) -> None:
    """The busiest requests (a widget's visitor, conversation and messages) are matched
    before the rest of the API is tried."""
    app = create_app(Settings(data_dir=tmp_path))
    top = list(app.router.routes)
    for path in ("/api/v1/visitors", "/api/v1/conversations", "/api/v1/conversations/7/messages"):
        scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "app": app}
        place = next(
            i for i, route in enumerate(top) if route.matches(dict(scope))[0] == Match.FULL
        )
        assert place <= 1, path
