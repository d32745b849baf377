"""OpenTelemetry tracing, as an option: with ``MARKETDESK_OTEL_TRACING=true`` and the
packages installed (``pip install 'marketdesk[otel]'``), every HTTP request and WebSocket
becomes a span carrying the request id. Where the spans go (an OTLP collector, the
console) is OpenTelemetry's own configuration: its ``OTEL_*`` environment variables, or
running the server under ``opentelemetry-instrument``. Without the packages the server
runs as before and says so once in its log."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["install_tracing"]

log = logging.getLogger("marketdesk.tracing")

INSTRUMENTATION = "opentelemetry.instrumentation.fastapi"
EXCLUDED_URLS = "metrics,healthz,readyz"  # scrapes and probes: noise, not traces


def _request_id_on_span(request_id: str) -> None:
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("marketdesk.request_id", request_id)


def install_tracing(app: Any, *, enabled: bool) -> Callable[[str], None] | None:
    """Instrument ``app`` when tracing is ``enabled`` and OpenTelemetry's FastAPI
    instrumentation is importable. Returns what puts a request id on the current span
    (the instrumentation's span wraps the whole application), or None."""
    if not enabled:
        return None
    try:
        instrumentation = importlib.import_module(INSTRUMENTATION)
    except ImportError:
        log.warning(
            "MARKETDESK_OTEL_TRACING is on but OpenTelemetry is not installed "
            "(pip install 'marketdesk[otel]'): no traces"
        )
        return None
    instrumentation.FastAPIInstrumentor.instrument_app(app, excluded_urls=EXCLUDED_URLS)
    return _request_id_on_span
