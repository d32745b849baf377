"""Every route is reachable: a request to a route's own path (its parameters filled in) is
matched by that route, not by one registered before it. The routers are included busiest
first (marketdesk.api.app), and this holds whatever their order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.convertors import FloatConvertor, IntegerConvertor, PathConvertor, UUIDConvertor
from starlette.routing import Match

from marketdesk.api.route_index import route_path
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


def _requests(app: FastAPI, routes: list[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A request (its scope) for each method of each route, to the route's own path."""
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
            yield route, scope


def test_every_route_is_matched_by_itself(tmp_path: Path) -> None:
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    routes = _routes(app.router.routes)
    checked = 0
    shadowed = []
    for route, scope in _requests(app, routes):
        found = _first_match(routes, scope)
        checked += 1
        if found is not route:
            shadowed.append((scope.get("method"), route.path, getattr(found, "path", None)))
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


def _holds(entry: Any, route: Any) -> bool:
    included = getattr(entry, "original_router", None)
    return route in _routes(included.routes) if included is not None else entry is route


def test_every_route_is_reached_through_the_routers_index(tmp_path: Path) -> None:
    """Routing as the application does it, each router passed over when the path cannot be
    one of its routes' (marketdesk.api.route_index): the router holding the route is the
    first to match its path, for every route."""
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    top = list(app.router.routes)
    missed = []
    checked = 0
    for route, scope in _requests(app, _routes(top)):
        entry = _first_match(top, scope)
        checked += 1
        if entry is None or not _holds(entry, route):
            missed.append((scope.get("method"), route.path))
    assert checked > 150
    assert missed == []


def test_a_router_is_passed_over_for_a_path_it_cannot_match(tmp_path: Path) -> None:
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    chats = app.router.routes[1]  # the chat's router, tried before the tasks'
    assert _first_match([chats], _post("/api/v1/visitors")) is chats
    tried = []
    chats._match = lambda scope: tried.append(scope["path"]) or (Match.NONE, {}, None, None)  # type: ignore[union-attr]
    assert _first_match(app.router.routes, _post("/api/v1/tasks")) is app.router.routes[2]
    assert tried == []  # not walked: none of its routes' paths begins /api/v1/tasks
    _first_match(app.router.routes, _post("/api/v1/conversations/7/messages"))
    assert tried == ["/api/v1/conversations/7/messages"]


def _post(path: str) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "root_path": ""}


def test_a_wrong_method_and_a_missing_slash_are_answered_as_before(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(Settings(data_dir=tmp_path)))
    wrong = client.delete("/api/v1/tasks/queues")  # a partial match: the path, not the method
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert client.get("/nothing/here").json()["error"]["code"] == "not_found"


def test_under_a_root_path_the_index_sees_the_routes_path(tmp_path: Path) -> None:
    """The index and FastAPI's own matching agree whatever the ``root_path``."""
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    tasks = app.router.routes[2]
    for root, path, found in (
        ("/desk", "/desk/api/v1/tasks", True),
        ("/desk", "/api/v1/tasks", True),  # a proxy that kept the prefix out of the path
        ("/api", "/api/v1/tasks", False),  # the routes see /v1/tasks
        ("/desk", "/deskapi/v1/tasks", False),
        ("/api/v1/tasks", "/api/v1/tasks", False),  # the routes see ""
    ):
        scope = {**_post(path), "root_path": root}
        indexed = tasks.matches(dict(scope))[0]
        assert indexed == type(tasks).matches(tasks, dict(scope))[0], (root, path)
        assert (indexed == Match.FULL) is found, (root, path)
    assert route_path({"path": "/desk", "root_path": "/desk"}) == ""


def test_the_index_leaves_fastapis_effective_routes_to_be_built_when_used(
    tmp_path: Path,
) -> None:
    """The index reads the routes as declared: building every router's effective routes
    (FastAPI does it on a router's first request) took a third of a second an application,
    and the tests build thousands."""
    app: FastAPI = create_app(Settings(data_dir=tmp_path))
    included = [entry for entry in app.router.routes if hasattr(entry, "original_router")]
    assert len(included) > 30
    assert all(entry._effective_candidates_version is None for entry in included)
    assert _first_match(app.router.routes, _post("/api/v1/tasks")) is app.router.routes[2]
    assert app.router.routes[2]._effective_candidates_version is not None  # built when used
