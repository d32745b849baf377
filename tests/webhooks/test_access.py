"""Who may call the webhooks' routes: admins only; every other kind of user is refused
(403 for the staff of other roles, customers and visitors; 401 without a valid token)."""

from __future__ import annotations

from typing import Any

import pytest

from marketdesk.domain.webhooks import DeliveryStatus
from marketdesk.store.models import WebhookDelivery, utcnow
from tests.errors import assert_error

from .conftest import HooksEnv

EVERYONE = ("operator", "backoffice", "supervisor", "admin", "customer", "visitor", None, "bad")
NOWHERE = "http://127.0.0.1:9/never"  # paused: nothing is ever sent there


def _paused_with_a_dead_letter(hooks: HooksEnv) -> tuple[int, int]:
    """A paused webhook with one failed delivery → (webhook id, delivery id)."""
    hook = hooks.subscribe(NOWHERE, ["conversation.created"])
    response = hooks.client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"active": False}, headers=hooks.as_("admin")
    )
    assert response.status_code == 200, response.text

    async def work(session: Any) -> int:
        row = WebhookDelivery(
            subscription_id=hook["id"],
            message_id=f"msg_access_{hook['id']}",
            event="conversation.created",
            body="{}",
            status=DeliveryStatus.FAILED.value,
            attempts=3,
            error="HTTP 500",
            created_at=utcnow(),
            failed_at=utcnow(),
        )
        session.add(row)
        await session.commit()
        return int(row.id)

    return int(hook["id"]), int(hooks.run(work))


ROUTES = [
    ("post", "/api/v1/webhooks", {"url": NOWHERE, "events": ["task.created"]}, 201),
    ("get", "/api/v1/webhooks", None, 200),
    ("patch", "/api/v1/webhooks/{webhook}", {"active": False}, 200),
    ("delete", "/api/v1/webhooks/{webhook}", None, 204),
    ("get", "/api/v1/webhooks/{webhook}/deliveries", None, 200),
    ("post", "/api/v1/webhook-deliveries/{delivery}/retry", None, 200),
]


@pytest.mark.parametrize(("method", "path", "body", "ok"), ROUTES)
@pytest.mark.parametrize("who", EVERYONE)
def test_admins_only(
    hooks: HooksEnv, method: str, path: str, body: Any, ok: int, who: str | None
) -> None:
    webhook_id, delivery_id = _paused_with_a_dead_letter(hooks)
    url = path.format(webhook=webhook_id, delivery=delivery_id)
    headers = (
        {}
        if who is None
        else hooks.as_(who)
        if who != "bad"
        else {"Authorization": "Bearer not-a-token"}
    )
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    response = hooks.client.request(method.upper(), url, **kwargs)
    try:
        if who == "admin":
            assert response.status_code == ok, response.text
        elif who in (None, "bad"):
            assert response.status_code == 401, response.text
        else:
            assert response.status_code == 403, response.text
            assert response.json()["error"]["message"]
    finally:
        listed = hooks.client.get("/api/v1/webhooks", headers=hooks.as_("admin")).json()
        for hook in listed["webhooks"]:  # what this test made (the POST's one too)
            hooks.unsubscribe(hook["id"])


def test_a_new_webhook_answers_its_secret_once(hooks: HooksEnv) -> None:
    hook = hooks.subscribe(NOWHERE, ["task.created", "conversation.created", "task.created"])
    try:
        assert hook["events"] == ["conversation.created", "task.created"]  # catalogue order
        assert hook["active"] is True and hook["secret"].startswith("whsec_")
        listed = hooks.client.get("/api/v1/webhooks", headers=hooks.as_("admin")).json()
        assert all("secret" not in w for w in listed["webhooks"])
        changed = hooks.client.patch(
            f"/api/v1/webhooks/{hook['id']}",
            json={"events": ["rating.created"], "url": "https://example.org/hook"},
            headers=hooks.as_("admin"),
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["events"] == ["rating.created"]
        assert changed.json()["url"] == "https://example.org/hook"
        assert "secret" not in changed.json()
    finally:
        hooks.unsubscribe(hook["id"])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "http://user:password@example.org/hook",
        "http:///no-host",
        "example.org/hook",
        "http://example.org:port/hook",
        "http://example.org/a b",
        "",
    ],
)
def test_only_http_urls(hooks: HooksEnv, url: str) -> None:
    response = hooks.client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["task.created"]},
        headers=hooks.as_("admin"),
    )
    assert_error(response, 422, "webhook_url_invalid")
    listed = hooks.client.get("/api/v1/webhooks", headers=hooks.as_("admin")).json()
    assert all(w["url"] != url for w in listed["webhooks"])  # nothing half-written


@pytest.mark.parametrize("events", [[], ["task.deleted"], ["task.created", "Message"]])
def test_known_events_only(hooks: HooksEnv, events: list[str]) -> None:
    response = hooks.client.post(
        "/api/v1/webhooks", json={"url": NOWHERE, "events": events}, headers=hooks.as_("admin")
    )
    error = assert_error(response, 422, "webhook_events_invalid")
    assert "conversation.created" in error["message"]


def test_unknown_ids_and_a_long_description(hooks: HooksEnv) -> None:
    admin = hooks.as_("admin")
    assert_error(
        hooks.client.patch("/api/v1/webhooks/987654", json={"active": True}, headers=admin),
        404,
        "webhook_not_found",
    )
    assert_error(
        hooks.client.delete("/api/v1/webhooks/987654", headers=admin), 404, "webhook_not_found"
    )
    assert_error(
        hooks.client.get("/api/v1/webhooks/987654/deliveries", headers=admin),
        404,
        "webhook_not_found",
    )
    assert_error(
        hooks.client.post("/api/v1/webhook-deliveries/987654/retry", headers=admin),
        404,
        "webhook_delivery_not_found",
    )
    response = hooks.client.post(
        "/api/v1/webhooks",
        json={"url": NOWHERE, "events": ["task.created"], "description": "д" * 201},
        headers=admin,
    )
    assert_error(response, 422, "webhook_description_too_long")
