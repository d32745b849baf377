"""The operator console at ``/console`` (and its login and audit pages): server-rendered HTML
and plain JavaScript ES modules from ``marketdesk/web/console`` (they import the shared helpers
at ``/static/shared/helpers.js``, see ``widget.py``). Every text that comes from users is put
into the page with ``textContent`` by the scripts; a strict Content-Security-Policy (no inline
script, no third-party origin) backs that up."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from marketdesk.services.errors import FileNotFound

from .csp import connect_src, page_headers

__all__ = ["CONSOLE_DIR", "CSP", "router"]

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "web" / "console"
_STATIC = CONSOLE_DIR / "static"
_templates = Jinja2Templates(directory=str(CONSOLE_DIR / "templates"))
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,60}\.(js|css|svg)$")
_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str) -> HTMLResponse:
    response = _templates.TemplateResponse(request, template, {})
    csp = CSP.format(connect=connect_src(request))
    response.headers.update(page_headers(csp, frame_options="DENY"))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/console", response_class=HTMLResponse)
async def console(request: Request) -> HTMLResponse:
    """The workplace; without a token in sessionStorage the script goes to the login page."""
    return _page(request, "console.html")


@router.get("/console/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> HTMLResponse:
    """The audit log for supervisors and admins (the API refuses everyone else)."""
    return _page(request, "audit.html")


@router.get("/console/tasks", response_class=HTMLResponse)
async def tasks_page(request: Request) -> HTMLResponse:
    """The back-office workspace: queues, the task list and the task card (the API decides
    who may do what)."""
    return _page(request, "tasks.html")


@router.get("/console/board", response_class=HTMLResponse)
async def board_page(request: Request) -> HTMLResponse:
    """The supervisors' live wallboard (the API refuses everyone else)."""
    return _page(request, "board.html")


@router.get("/console/reports", response_class=HTMLResponse)
async def reports_page(request: Request) -> HTMLResponse:
    """Reports with charts for supervisors and admins (the API refuses everyone else)."""
    return _page(request, "reports.html")


@router.get("/console/manage", response_class=HTMLResponse)
async def manage_page(request: Request) -> HTMLResponse:
    """«Управление» for supervisors and admins: news, hints, articles, answer templates (the
    API refuses everyone else)."""
    return _page(request, "manage.html")


@router.get("/console/people", response_class=HTMLResponse)
async def people_page(request: Request) -> HTMLResponse:
    """People and structure for admins, read-only for supervisors (the API decides), and
    every operator's own second factor."""
    return _page(request, "people.html")


@router.get("/console/sellers", response_class=HTMLResponse)
async def sellers_page(request: Request) -> HTMLResponse:
    """The seller's workspace, «Покупатели»: the buyers' dialogues of the account's sellers
    (the API refuses every other account)."""
    return _page(request, "sellers.html")


@router.get("/console/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html")


@router.get("/console/static/{name}")
async def static(name: str) -> Response:
    match = _STATIC_NAME.match(name)
    path = _STATIC / name
    if match is None or not path.is_file():
        raise FileNotFound()
    return FileResponse(
        path,
        media_type=_TYPES[match.group(1)],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )
