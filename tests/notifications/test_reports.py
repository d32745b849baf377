"""The SMS gateway's delivery reports (``POST /api/v1/notifications/sms-status``): the local
HTTP gateway answers each send with its id of the message, which the worker keeps; the
gateway's report, signed with the shared secret, moves the notification to ``delivered`` or
``failed`` with the reason, and the card's delivery log shows it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marketdesk.domain.notifications import NotificationChannel
from marketdesk.server import create_app
from marketdesk.services import notifications
from marketdesk.store.models import Notification
from tests.chat.conftest import ChatEnv, auth
from tests.conftest import TestDatabase, backends, prepare
from tests.errors import assert_error
from tests.notifications.servers import SmsGateway, sms_gateway

SHARED = "report-secret-1"
REPORTS = "/api/v1/notifications/sms-status"


class ReportsEnv(ChatEnv):
    gateway: SmsGateway


@pytest.fixture(scope="module", params=backends())
def renv(
    request: pytest.FixtureRequest, make_database: Callable[[str], TestDatabase]
) -> Iterator[ReportsEnv]:
    """An app whose worker sends SMS to the local gateway and takes its reports."""
    db = make_database(request.param)
    prepare(db.url)
    with sms_gateway() as gateway:
        settings = db.settings(sms_url=gateway.url, sms_status_secret=SHARED, sms_retry_seconds=0.2)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            env = ReportsEnv(db, client)
            env.gateway = gateway
            yield env


def _sent_sms(env: ReportsEnv) -> tuple[int, int, str]:
    """A customer, and an SMS to them the app's worker sent: (customer, notification, the
    gateway's id)."""
    phone = f"+7995{uuid.uuid4().int % 10**7:07d}"
    customer_id, _ = env.customer(phone=phone)

    async def raise_it(session: Any) -> int:
        [row] = await notifications.notify(
            session,
            event="order_status_changed",
            data={"order": "12345678-0001", "status_title": "Доставлен"},
            idempotency_key=f"report-test:{uuid.uuid4().hex}",
            customer_id=customer_id,
            to=notifications.Recipient(NotificationChannel.SMS, phone),
        )
        await session.commit()
        return int(row.id)

    notification_id = env.run(raise_it)

    async def read(session: Any) -> Notification | None:
        return await session.get(Notification, notification_id)

    deadline = time.monotonic() + 30
    while True:  # the app's worker sends it (a wait, not a timing assertion)
        row = env.run(read)
        if (row is not None and row.status != "queued") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert row is not None and row.status == "sent", row and (row.status, row.error)
    assert row.provider_id and row.provider_id.startswith("gw-")
    assert row.provider_id in env.gateway.ids.values()
    return customer_id, notification_id, row.provider_id


def _report(env: ChatEnv, body: dict[str, Any], *, secret: str = SHARED, **kw: Any) -> Any:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Signature"] = notifications.report_signature(secret, raw)
    return env.client.post(REPORTS, content=raw, headers=headers, **kw)


def _log_entry(env: ChatEnv, customer_id: int, notification_id: int) -> dict[str, Any]:
    _, staff = env.operator()
    log = env.client.get(f"/api/v1/customers/{customer_id}/notifications", headers=auth(staff))
    assert log.status_code == 200, log.text
    [entry] = [e for e in log.json()["notifications"] if e["id"] == notification_id]
    return dict(entry)


def test_a_delivery_report_shows_delivered_in_the_card(renv: ReportsEnv) -> None:
    customer_id, notification_id, gateway_id = _sent_sms(renv)
    before = _log_entry(renv, customer_id, notification_id)
    assert before["status"] == "sent" and before["delivered_at"] is None

    answer = _report(renv, {"id": gateway_id, "status": "DELIVERED"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "delivered"}
    entry = _log_entry(renv, customer_id, notification_id)
    assert entry["status"] == "delivered" and entry["delivered_at"] is not None

    # the gateway repeats its reports; a later «failed» does not undo the delivery
    again = _report(renv, {"id": gateway_id, "status": "delivered"})
    assert again.status_code == 200 and again.json() == {"status": "delivered"}
    late = _report(renv, {"id": gateway_id, "status": "failed", "reason": "timeout"})
    assert late.status_code == 200 and late.json() == {"status": "delivered"}
    assert _log_entry(renv, customer_id, notification_id)["error"] is None


def test_a_failure_report_shows_the_reason_without_the_number(renv: ReportsEnv) -> None:
    customer_id, notification_id, gateway_id = _sent_sms(renv)
    # a step before the final word changes nothing
    interim = _report(renv, {"id": gateway_id, "status": "accepted"})
    assert interim.status_code == 200 and interim.json() == {"status": "sent"}

    async def phone_of(session: Any) -> str:
        row = await session.get(Notification, notification_id)
        return str(row.address)

    phone = renv.run(phone_of)
    # a gateway that can only be given a URL proves itself with ?secret=
    raw = json.dumps(
        {"id": gateway_id, "status": "undelivered", "reason": f"абонент {phone} недоступен"}
    )
    answer = renv.client.post(
        REPORTS,
        content=raw,
        params={"secret": SHARED},
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "failed"}
    entry = _log_entry(renv, customer_id, notification_id)
    assert entry["status"] == "failed" and entry["failed_at"] is not None
    assert "недоступен" in entry["error"] and phone not in entry["error"]


def test_a_report_without_the_secret_changes_nothing(renv: ReportsEnv) -> None:
    customer_id, notification_id, gateway_id = _sent_sms(renv)
    body = {"id": gateway_id, "status": "delivered"}
    assert_error(_report(renv, body, secret="wrong"), 403, "sms_report_signature_mismatch")
    assert_error(
        renv.client.post(REPORTS, json=body, params={"secret": "wrong"}),
        403,
        "sms_report_signature_mismatch",
    )
    # a login is no proof: every kind of user, and nobody, without the signature
    _, customer = renv.customer()
    tokens = [customer, renv.visitor()] + [
        renv.operator(roles=(role,))[1]
        for role in ("operator", "backoffice", "supervisor", "admin")
    ]
    for token in tokens:
        assert_error(
            renv.client.post(REPORTS, json=body, headers=auth(token)),
            403,
            "sms_report_signature_mismatch",
        )
    assert_error(renv.client.post(REPORTS, json=body), 403, "sms_report_signature_mismatch")
    assert _log_entry(renv, customer_id, notification_id)["status"] == "sent"


def test_unknown_ids_and_bad_bodies_are_refused(renv: ReportsEnv) -> None:
    unknown = _report(renv, {"id": "gw-never", "status": "delivered"})
    body = assert_error(unknown, 404, "sms_report_unknown")
    assert "gw-never" in body["message"]
    for bad in ({"status": "delivered"}, {"id": "gw-1"}, {"id": ["x"], "status": "ok"}, []):
        assert_error(_report(renv, bad), 422, "sms_report_invalid")  # type: ignore[arg-type]
    raw = b"not json"
    signed = {"X-Signature": notifications.report_signature(SHARED, raw)}
    assert_error(renv.client.post(REPORTS, content=raw, headers=signed), 422, "sms_report_invalid")


def test_reports_are_off_without_a_shared_secret(env: ChatEnv) -> None:
    answer = _report(env, {"id": "gw-1", "status": "delivered"}, secret="anything")
    body = assert_error(answer, 404, "sms_reports_off")
    assert "MARKETDESK_SMS_STATUS_SECRET" in body["message"]


@pytest.mark.parametrize(
    ("field", "answer", "expected"),
    [
        ("id", {"status": "ok", "id": 123}, "123"),
        ("data.id", {"success": True, "data": {"id": "a-1"}}, "a-1"),
        ("sms.0.sms_id", {"sms": [{"sms_id": "000-1"}]}, "000-1"),
        ("id", {"status": "ok"}, None),
        ("data.id", {"data": "not an object"}, None),
        ("id", {"id": True}, None),
    ],
)
def test_the_gateways_id_is_found_where_it_is_configured(
    field: str, answer: Any, expected: str | None
) -> None:
    import httpx

    from marketdesk.channels.sms import HttpSmsGateway

    gateway = HttpSmsGateway("http://127.0.0.1:9/send", id_field=field)
    assert gateway.provider_id(httpx.Response(200, json=answer)) == expected
    assert gateway.provider_id(httpx.Response(200, text="OK")) is None  # not JSON
