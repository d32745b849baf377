"""Workers killed with SIGKILL in the middle of a batch, then restarted: every notification
reaches the gateway, none is lost. The only repeats are the sends that were in flight at the
kill (between the gateway's «accepted» and our commit: at most one claimed batch,
``MARKETDESK_NOTIFY_BATCH``, per kill), and they carry the same ``Idempotency-Key``, so
the gateway (like a provider honouring it) delivers each notification once. On PostgreSQL
three workers share one queue through ``FOR UPDATE SKIP LOCKED`` and no request is repeated.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from marketdesk.domain.notifications import NotificationChannel
from marketdesk.services import notifications
from marketdesk.store.models import Notification
from tests.conftest import PG_ENV, TestDatabase, prepare, run_db, wait_for
from tests.notifications.servers import SmsGateway, slow_gateway, sms_gateway

MARKETDESK = str(Path(sys.executable).with_name("marketdesk"))
N = 120
CONCURRENCY = 4
BATCH = 10

pytestmark = pytest.mark.slow


def _queue(db: TestDatabase, count: int) -> list[str]:
    async def work(session: Any) -> list[str]:
        keys = []
        for i in range(count):
            [row] = await notifications.notify(
                session,
                event="login_code",
                data={"code": f"{i:06d}"},
                idempotency_key=f"kill-test:{i}",
                to=notifications.Recipient(NotificationChannel.SMS, f"+7990{i:07d}"),
            )
            keys.append(row.idempotency_key)
            if i % 50 == 49:
                await session.commit()
        await session.commit()
        return keys

    return list(run_db(db, work))


def _worker(db: TestDatabase, gateway: SmsGateway, claim: float) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MARKETDESK_")}
    environment.update(
        {
            "MARKETDESK_DATA_DIR": str(db.tmp),
            "MARKETDESK_DATABASE_URL": db.url,
            "MARKETDESK_SECRET_KEY": "kill-test",
            "MARKETDESK_SMS_URL": gateway.url,
            "MARKETDESK_NOTIFY_CLAIM_SECONDS": str(claim),
            "MARKETDESK_SMS_RETRY_SECONDS": "0.2",
            "MARKETDESK_NOTIFY_CONCURRENCY": str(CONCURRENCY),
            "MARKETDESK_NOTIFY_BATCH": str(BATCH),
            "MARKETDESK_LOG_LEVEL": "warning",
        }
    )
    return subprocess.Popen(
        [MARKETDESK, "worker"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _statuses(db: TestDatabase) -> dict[str, int]:
    async def work(session: Any) -> dict[str, int]:
        rows = await session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)
        )
        return {status: count for status, count in rows}

    return dict(run_db(db, work))


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill(process)


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing_delivered(
    make_database: Callable[[str], TestDatabase],
) -> None:
    db = make_database("sqlite")
    prepare(db.url, demo=False)
    keys = _queue(db, N)
    kills = 0
    with sms_gateway() as gateway:
        slow_gateway(gateway, 0.02)
        for stop_at in (N // 4, N // 2):
            worker = _worker(db, gateway, claim=5)
            try:
                wait_for(lambda n=stop_at: len(gateway.requests) >= n, "the worker to send")
            finally:
                _kill(worker)  # SIGKILL: no clean-up, sends in flight
            kills += 1
        worker = _worker(db, gateway, claim=5)
        try:
            wait_for(lambda: _statuses(db) == {"sent": N}, "every notification sent")
        finally:
            _stop(worker)
        requests = list(gateway.requests)
    sent_keys = Counter(r.headers["idempotency-key"] for r in requests)
    assert set(gateway.delivered) == set(keys)  # none lost, each delivered once
    repeats = sum(count - 1 for count in sent_keys.values())
    # only what was in flight at a kill (a claim of 5 s outlives any send of a live worker)
    assert repeats <= kills * BATCH

    async def wiped(session: Any) -> int:
        return int(await session.scalar(select(func.count()).where(Notification.body.is_not(None))))

    assert run_db(db, wiped) == 0  # every code's text is gone


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason="PostgreSQL: set " + PG_ENV)
def test_three_workers_on_postgresql_never_send_one_notification_twice(
    make_database: Callable[[str], TestDatabase],
) -> None:
    db = make_database("postgresql")
    prepare(db.url, demo=False)
    keys = _queue(db, N * 2)
    with sms_gateway() as gateway:
        slow_gateway(gateway, 0.01)
        # the default claim (60 s): no worker dies, so none may take over another's claim
        workers = [_worker(db, gateway, claim=60) for _ in range(3)]
        try:
            wait_for(lambda: _statuses(db) == {"sent": N * 2}, "every notification sent")
        finally:
            for worker in workers:
                _stop(worker)
        requests = list(gateway.requests)
    sent_keys = Counter(r.headers["idempotency-key"] for r in requests)
    assert sorted(sent_keys) == sorted(keys)
    assert max(sent_keys.values()) == 1  # no request repeated, not even to the gateway


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason="PostgreSQL: set " + PG_ENV)
def test_three_workers_on_postgresql_one_killed_and_restarted_deliver_each_once(
    make_database: Callable[[str], TestDatabase],
) -> None:
    """Three ``marketdesk worker`` processes on PostgreSQL; one is killed with SIGKILL in the
    middle of its batch and started again. Nothing is lost, the gateway delivers each
    notification once, and the only repeated requests are the killed worker's sends in
    flight (its claim runs out; the live workers never take each other's rows)."""
    db = make_database("postgresql")
    prepare(db.url, demo=False)
    keys = _queue(db, N * 2)
    with sms_gateway() as gateway:
        slow_gateway(gateway, 0.02)
        workers = [_worker(db, gateway, claim=5) for _ in range(3)]
        try:
            wait_for(lambda: len(gateway.requests) >= N // 2, "the workers to send")
            _kill(workers[0])  # SIGKILL: no clean-up, its sends in flight
            workers[0] = _worker(db, gateway, claim=5)
            wait_for(lambda: _statuses(db) == {"sent": N * 2}, "every notification sent")
        finally:
            for worker in workers:
                _stop(worker)
        requests = list(gateway.requests)
    sent_keys = Counter(r.headers["idempotency-key"] for r in requests)
    assert sorted(sent_keys) == sorted(keys)  # none lost
    assert set(gateway.delivered) == set(keys)  # each delivered once
    repeats = sum(count - 1 for count in sent_keys.values())
    assert repeats <= BATCH  # only the killed worker's one claimed batch
