"""OpenTelemetry tracing is an option (``MARKETDESK_OTEL_TRACING``, ``marketdesk[otel]``):
off by default; on, each request is a span carrying its request id when the packages are
installed, and without them the server works as before and says why there are no traces."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.observability import tracing
from marketdesk.server import create_app

INSTALLED = importlib.util.find_spec("opentelemetry.sdk") is not None and (
    importlib.util.find_spec("opentelemetry.instrumentation.fastapi") is not None
)


def test_tracing_is_off_by_default(demo_db: Any) -> None:
    app = create_app(demo_db.settings())
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)


def test_tracing_without_the_packages_is_a_warning(
    demo_db: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = importlib.import_module

    def without_opentelemetry(name: str, package: str | None = None) -> Any:
        if name.startswith("opentelemetry"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, package)

    monkeypatch.setattr(tracing.importlib, "import_module", without_opentelemetry)
    with caplog.at_level(logging.WARNING, logger="marketdesk.tracing"):
        app = create_app(demo_db.settings(otel_tracing=True))
    assert "not installed" in caplog.text
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200


@functools.cache
def _spans() -> Any:
    """The spans of this process, in memory. OpenTelemetry's provider is set once a process
    (a second is refused), so every test here shares this one; no other test traces."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.mark.skipif(not INSTALLED, reason="OpenTelemetry is not installed (marketdesk[otel])")
def test_tracing_puts_each_request_in_a_span_with_its_request_id(demo_db: Any) -> None:
    exporter = _spans()
    exporter.clear()  # another database's run in this process went before
    app = create_app(demo_db.settings(otel_tracing=True))
    with TestClient(app) as client:
        response = client.post("/api/v1/visitors", headers={"X-Request-ID": "traced-req-0001"})
        assert response.status_code == 201
        assert client.get("/healthz").status_code == 200  # excluded: a probe
    spans = exporter.get_finished_spans()
    ids = {span.attributes.get("marketdesk.request_id") for span in spans if span.attributes}
    assert "traced-req-0001" in ids
    assert not any("/healthz" in span.name for span in spans)
