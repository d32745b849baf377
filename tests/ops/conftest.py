"""Fixtures of the operations tests: an app of their own with a metrics token, on a demo
database of its own, and a scrape of its /metrics parsed with prometheus-client."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from marketdesk.server import create_app
from tests.chat.conftest import ChatEnv
from tests.conftest import TestDatabase, backends, prepare

METRICS_TOKEN = "metrics-token-for-tests"


@pytest.fixture(scope="module", params=backends())
def ops(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ChatEnv]:
    """A demo database and an app on it whose /metrics answers to ``METRICS_TOKEN``; the SLA
    timer runs often, so that a task past its deadline is escalated at once."""
    db = make_database(request.param)
    prepare(db.url)
    app = create_app(db.settings(metrics_token=METRICS_TOKEN, sla_interval_seconds=0.05))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ChatEnv(db, client)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    """Every sample of /metrics: (name, sorted labels) → value. Fails unless it parses."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def parse(exposition: str) -> Samples:
    """The samples of a text exposition. Fails unless it parses."""
    samples: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
