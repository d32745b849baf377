"""The Grafana dashboard in the repository (``deploy/grafana/marketdesk.json``) reads only
metrics the application exports: every ``marketdesk_*`` name its queries use is a sample of
/metrics after a few requests (the ``marketdesk_sqlite_*`` ones on SQLite only: PostgreSQL
has no write lock of ours, and their panel stays empty there; the ``marketdesk_redis_*`` ones
with Redis only, read in ``test_metrics.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.chat.conftest import ChatEnv
from tests.ops.conftest import scrape

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "marketdesk.json"


def _queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", ())]
    queries += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    return queries


def test_every_metric_the_dashboard_queries_exists(ops: ChatEnv) -> None:
    visitor = ops.visitor()
    cid = ops.conversation(visitor)["id"]
    assert ops.send(visitor, cid, "Где мой заказ?").status_code == 201
    assert ops.client.get("/healthz").status_code == 200
    exported = {name for name, _ in scrape(ops.client)}
    used = {name for query in _queries() for name in re.findall(r"\bmarketdesk_\w+", query)}
    assert len(used) >= 10  # requests, latency, sockets, messages, writer, bot, SLA, pool
    sqlite_only = {name for name in used if name.startswith("marketdesk_sqlite_")}
    assert sqlite_only  # the write lock's panel
    if ops.db.url.startswith("postgresql"):
        assert exported & sqlite_only == set()
        used -= sqlite_only
    redis_only = {name for name in used if name.startswith("marketdesk_redis_")}
    assert redis_only  # the broker's panel
    assert exported & redis_only == set()  # this server has no Redis
    used -= redis_only  # test_metrics reads them from a Redis broker
    assert used - exported == set()


def test_the_dashboard_covers_what_operations_watch() -> None:
    queries = " ".join(_queries())
    for name in (
        "marketdesk_http_requests_total",
        "marketdesk_http_request_duration_seconds_bucket",
        "marketdesk_websockets_open",
        "marketdesk_messages_stored_total",
        "marketdesk_chat_writer_batch_size",
        "marketdesk_chat_writer_commit_seconds_bucket",
        "marketdesk_bot_answers_total",
        "marketdesk_task_sla_breaches_total",
        "marketdesk_db_pool_checked_out",
    ):
        assert name in queries, name
