"""The customer chat widget at ``/``: a server-rendered page and a small vanilla JS file
(``marketdesk/web``). A strict Content-Security-Policy backs up the escaping: no inline
script runs on the page, whatever a message contains."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from marketdesk.services import attachments
from marketdesk.services import conversations as chat

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
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def install_widget(app: FastAPI) -> None:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def widget(request: Request) -> HTMLResponse:
        response = templates.TemplateResponse(
            request,
            "widget.html",
            {
                "quick_topics": QUICK_TOPICS,
                "seller_topics": chat.seller_topics(),
                "max_bytes": attachments.MAX_BYTES,
                "max_text": chat.MAX_TEXT,
            },
        )
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response
