"""The customer chat widget at ``/``: a server-rendered page and a small vanilla JS module
(``marketdesk/web``). A strict Content-Security-Policy backs up the escaping: no inline
script runs on the page, whatever a message contains. Only the sites listed in
``MARKETDESK_WIDGET_EMBED_ORIGINS`` may frame it (see ``csp.py``).

``/static`` serves ``marketdesk/web/static``: the widget's files and the helpers every page
shares (``/static/shared/helpers.js``, imported by the widget and the console's modules)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import Scope

from marketdesk.domain.ratings import COMMENT_MAX_CHARS
from marketdesk.services import attachments, chat
from marketdesk.settings import Settings

from .csp import connect_src, embed_origins, page_headers

__all__ = ["QUICK_TOPICS", "install_widget"]

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
# quick topic buttons: questions the knowledge base answers (content/kb)
QUICK_TOPICS = (
    "Где мой заказ?",
    "Как активировать подарочный сертификат?",
    "Как вывести деньги с баланса?",
    "Не применяется купон",
    "Не приходят уведомления",
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {ancestors}"
)


class _StaticFiles(StaticFiles):
    """Static files as the console's: asked again on every load (``no-cache``, the ETag
    answers 304 while the file is the same), so that a new version of one module never meets
    a cached old one; scripts as ``text/javascript`` whatever the system's MIME table says
    (a module with another type does not load), and no sniffing."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.status_code != 304 and str(full_path).endswith(".js"):
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        return response


def install_widget(app: FastAPI) -> None:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    app.mount("/static", _StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    settings: Settings = app.state.settings
    # who may frame the widget: the server's own pages and the sites of the setting; the
    # legacy X-Frame-Options cannot list sites, so it is sent only when there are none
    origins = embed_origins(settings.widget_embed_origins)
    ancestors = " ".join(["'self'", *origins])
    frame_options = None if origins else "SAMEORIGIN"

    def page(request: Request, name: str) -> HTMLResponse:
        response = templates.TemplateResponse(
            request,
            "widget.html",
            {
                "quick_topics": QUICK_TOPICS,
                "seller_topics": chat.seller_topics(),
                "max_bytes": attachments.MAX_BYTES,
                "max_text": chat.MAX_TEXT,
                "max_rating_comment": COMMENT_MAX_CHARS,
                "page": name,
            },
        )
        csp = CSP.format(connect=connect_src(request), ancestors=ancestors)
        response.headers.update(page_headers(csp, frame_options=frame_options))
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def widget(request: Request) -> HTMLResponse:
        return page(request, "chat")

    @app.get("/messages", response_class=HTMLResponse, include_in_schema=False)
    async def messages(request: Request) -> HTMLResponse:
        """«Сообщения» as a page: the widget with the hub open (a visitor is asked to log
        in first; the dialogues come from the API with the customer's token)."""
        return page(request, "messages")
