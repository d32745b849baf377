"""/metrics (issue 15, operations): behind a bearer token, in the Prometheus text format,
with counters that move as the server works: requests by route template (no ids in the
labels), open sockets, messages stored, the chat writer's batches, the bot's answers by
action, SLA breaches of tasks, the database pool, the SQLite write lock's use, the Redis
broker's channels and the messages it read."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.observability.metrics import Metrics
from marketdesk.realtime import InProcessBroker, RedisBroker
from marketdesk.store.models import Task, utcnow
from tests.chat.conftest import ChatEnv, auth
from tests.chat.servers import REDIS_URL, redis_available
from tests.conftest import DEMO_PASSWORD
from tests.ops.conftest import METRICS_TOKEN, scrape, value

REQUESTS = "marketdesk_http_requests_total"


def test_without_a_configured_token_metrics_do_not_exist(client: Any) -> None:
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_missing_or_wrong_token_is_401_in_the_error_shape(ops: ChatEnv) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        response = ops.client.get("/metrics", headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "invalid_metrics_token"
        assert "токен" in error["message"]
        assert response.headers["www-authenticate"] == "Bearer"


def test_metrics_are_not_in_the_openapi_document(ops: ChatEnv) -> None:
    assert "/metrics" not in ops.client.get("/openapi.json").json()["paths"]


def test_requests_are_counted_by_route_template_and_status(ops: ChatEnv) -> None:
    visitor = ops.visitor()
    cid = ops.conversation(visitor)["id"]
    route = "/api/v1/conversations/{conversation_id}"
    before = scrape(ops.client)
    assert ops.client.get(f"/api/v1/conversations/{cid}", headers=auth(visitor)).status_code == 200
    assert ops.client.get(f"/api/v1/conversations/{cid}").status_code == 401
    assert ops.client.get(f"/no/such/page/{cid}").status_code == 404
    after = scrape(ops.client)

    def moved(**labels: str) -> float:
        return value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels)

    assert moved(method="GET", route=route, status="200") == 1
    assert moved(method="GET", route=route, status="401") == 1
    assert moved(method="GET", route="unmatched", status="404") == 1
    latency = "marketdesk_http_request_duration_seconds_count"
    assert value(after, latency, method="GET", route=route) >= 2
    # no raw path in any label: the ids stay out of the series
    routes = {v for (_, pairs) in after for (k, v) in pairs if k == "route"}
    assert route in routes
    assert not any(f"/{cid}" in r or "/no/such" in r for r in routes)


def test_messages_the_bot_and_the_writer_are_counted(ops: ChatEnv) -> None:
    visitor = ops.visitor()
    cid = ops.conversation(visitor)["id"]
    before = scrape(ops.client)
    assert ops.send(visitor, cid, "не приходят смс с кодом").status_code == 201
    middle = scrape(ops.client)
    bot = "marketdesk_bot_answers_total"
    answered = sum(
        value(middle, bot, action=a) - value(before, bot, action=a)
        for a in ("answer", "handoff", "refusal")
    )
    assert answered == 1  # the bot replied once, whatever it decided
    stored = "marketdesk_messages_stored_total"
    assert value(middle, stored, sender="visitor") - value(before, stored, sender="visitor") == 1
    assert value(middle, stored, sender="bot") - value(before, stored, sender="bot") == 1

    # handed to a person: the next message is a plain one, stored by the group commit
    assert ops.post(visitor, f"/api/v1/conversations/{cid}/handoff").status_code == 200
    assert ops.send(visitor, cid, "Жду оператора").status_code == 201
    after = scrape(ops.client)
    batches = "marketdesk_chat_writer_batch_size_count"
    assert value(after, batches) - value(middle, batches) >= 1
    assert value(after, "marketdesk_chat_writer_batch_size_sum") >= 1
    assert value(after, "marketdesk_chat_writer_commit_seconds_count") >= 1


def test_open_sockets_are_counted_by_kind(ops: ChatEnv) -> None:
    token = ops.client.post(
        "/api/v1/auth/login", json={"login": "operator", "password": DEMO_PASSWORD}
    ).json()["token"]
    gauge = "marketdesk_websockets_open"
    sent_id = "socket-request-0001"
    with ops.client.websocket_connect("/ws/operator", headers={"X-Request-ID": sent_id}) as socket:
        socket.send_json({"type": "auth", "token": token})
        assert socket.receive_json()["type"] == "ready"
        # the handshake echoes the request id the socket's log lines carry
        assert (b"x-request-id", sent_id.encode()) in list(socket.extra_headers or ())
        during = scrape(ops.client)
        assert value(during, gauge, socket="operator") >= 1
        assert socket.send_json({"type": "ping"}) is None


def test_the_database_pool_is_reported(ops: ChatEnv) -> None:
    samples = scrape(ops.client)
    assert value(samples, "marketdesk_db_pool_size") > 0
    assert ("marketdesk_db_pool_checked_out", ()) in samples


def test_the_sqlite_write_locks_use_is_reported_and_postgresql_has_none(ops: ChatEnv) -> None:
    lock = "marketdesk_sqlite_write_lock_"
    before = scrape(ops.client)
    ops.visitor()  # a write: the lock taken and given back
    after = scrape(ops.client)
    if ops.db.url.startswith("postgresql"):  # no write lock of ours there
        assert not any(name.startswith(lock) for name, _ in after)
        return
    for name in ("acquisitions", "held_seconds", "wait_seconds", "other_process_waits"):
        assert (f"{lock}{name}_total", ()) in after
    assert value(after, f"{lock}acquisitions_total") > value(before, f"{lock}acquisitions_total")
    assert value(after, f"{lock}held_seconds_total") > value(before, f"{lock}held_seconds_total")
    assert value(after, f"{lock}wait_seconds_total") >= value(before, f"{lock}wait_seconds_total")


def test_a_task_past_its_deadline_counts_as_an_sla_breach(ops: ChatEnv) -> None:
    token = ops.client.post(
        "/api/v1/auth/login", json={"login": "operator", "password": DEMO_PASSWORD}
    ).json()["token"]
    breaches = "marketdesk_task_sla_breaches_total"
    before = value(scrape(ops.client), breaches)
    title = f"Проверить описание {uuid.uuid4().hex[:6]}"
    created = ops.post(token, "/api/v1/tasks", {"queue": FRAUD_QUEUE, "title": title})
    assert created.status_code == 201, created.text
    number = created.json()["number"]

    async def overdue(session: Any) -> None:
        past = utcnow() - timedelta(minutes=1)
        await session.execute(update(Task).where(Task.number == number).values(deadline_at=past))
        await session.commit()

    ops.run(overdue)
    # the SLA timer of this app runs every 50 ms: wait for its round (bounded), not a time
    for _ in range(200):
        if value(scrape(ops.client), breaches) > before:
            break
        time.sleep(0.05)
    assert value(scrape(ops.client), breaches) == before + 1


def test_every_app_has_a_registry_of_its_own() -> None:
    first, second = Metrics(process=False), Metrics(process=False)
    first.observe_request("GET", "/healthz", 200, 0.01)
    assert first.registry is not second.registry
    assert b'route="/healthz"' in first.exposition()[0]
    assert b'route="/healthz"' not in second.exposition()[0]


@pytest.mark.skipif(not redis_available(), reason="no Redis server")
def test_the_redis_brokers_channels_and_the_messages_it_read_are_reported() -> None:
    """With Redis: the channels this process listens on, and the messages it read (another
    process's event of one of its channels; not those of channels it does not listen on);
    in-process, neither."""

    async def main() -> tuple[bytes, bytes]:
        prefix = f"marketdesk-test:{uuid.uuid4().hex[:8]}:"
        here, there = RedisBroker(REDIS_URL, prefix=prefix), RedisBroker(REDIS_URL, prefix=prefix)
        await here.start()
        await there.start()
        metrics, alone = Metrics(process=False), Metrics(process=False)
        metrics.read_broker(lambda: there)
        alone.read_broker(InProcessBroker)
        try:
            got: list[dict[str, Any]] = []
            subscription = there.subscribe(
                ["conversation:1", "operator:2"], lambda _c, event: got.append(event)
            )
            await subscription.ready()
            await here.publish(["conversation:3"], {"type": "x"})
            await here.publish(["conversation:1", "operator:2"], {"type": "x"})
            async with asyncio.timeout(5):
                while not got:  # noqa: ASYNC110 - a plain callback collects
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            return metrics.exposition()[0], alone.exposition()[0]
        finally:
            await here.stop()
            await there.stop()

    text, in_process = asyncio.run(main())
    assert b"marketdesk_redis_channels 2.0" in text
    assert b"marketdesk_redis_messages_received_total 2.0" in text  # one per channel
    assert b"marketdesk_redis_" not in in_process
