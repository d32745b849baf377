"""Security headers of the HTML pages: the widget, the console and the API docs.

Every page gets a Content-Security-Policy with no third-party origin. ``connect-src`` is the
server's own origin: ``'self'``, plus the WebSocket origin of the request's host spelled out
(``ws://host wss://host``): CSP Level 3 lets ``'self'`` match ws/wss of the same host, and
Chromium and Firefox do, but older Safari did not. ``frame-ancestors`` decides who may
frame a page: the widget the sites of ``MARKETDESK_WIDGET_EMBED_ORIGINS`` (default: only the
server's own pages), the console and the docs nobody."""

from __future__ import annotations

import re

from starlette.requests import Request

__all__ = ["connect_src", "embed_origins", "page_headers"]

# a host as a browser sends it: a name or IPv4 address, or a bracketed IPv6, and a port
_HOST = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")
# a CSP host-source for a site allowed to embed the widget: https://shop.example[:port],
# also https://*.shop.example; no path, no quotes, nothing that ends the directive
_ORIGIN = re.compile(r"^https?://(?:\*\.)?[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?::\d{1,5})?$")


def embed_origins(value: str) -> list[str]:
    """The sites allowed to embed the widget, from the setting (space or comma separated).
    Raises ValueError on anything that is not a plain ``scheme://host[:port]``."""
    origins = [part for part in re.split(r"[\s,]+", value.strip()) if part]
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ValueError(
                f"MARKETDESK_WIDGET_EMBED_ORIGINS: {origin!r} is not a site such as "
                "https://shop.example (scheme, host and optional port)"
            )
    return origins


def connect_src(request: Request) -> str:
    """``'self'`` and the WebSocket origin of the host the page was asked from."""
    host = request.headers.get("host", "")
    if not _HOST.match(host):
        return "'self'"
    return f"'self' ws://{host} wss://{host}"


def page_headers(csp: str, *, frame_options: str | None) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if frame_options:
        headers["X-Frame-Options"] = frame_options
    return headers
