"""The delivery log forgets: a forgotten customer's events go with them (pending ones too),
and the clean-up drops delivered and dead deliveries past ``MARKETDESK_WEBHOOK_LOG_DAYS``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from marketdesk.services.cleanup import CleanupPolicy, clean_database
from marketdesk.services.sync import forget_customer
from marketdesk.store.models import WebhookDelivery, utcnow

from .conftest import HooksEnv, Receiver


def test_forgetting_a_customer_erases_their_events(hooks: HooksEnv, receiver: Receiver) -> None:
    receiver.default = 500  # nothing is delivered: the events stay in the log
    hook = hooks.subscribe(receiver.url, ["conversation.created", "message.created"])
    try:
        customer_id, token = hooks.customer()
        cid = hooks.conversation(token)["id"]
        assert hooks.send(token, cid, "Мой телефон +7 912 345-67-89").status_code in (200, 201)
        hooks.conversation(hooks.visitor())  # a visitor's: nobody's to forget
        log = hooks.deliveries(hook["id"])
        assert len(log) >= 3

        async def forget(session: Any) -> int:
            result = await forget_customer(session, customer_id, actor="system")
            return result.webhook_events_erased

        async def mentions(session: Any) -> int:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(WebhookDelivery)
                    .where(WebhookDelivery.body.contains("912 345-67-89"))
                )
            )

        assert hooks.run(mentions) >= 1
        erased = hooks.run(forget)
        left = hooks.deliveries(hook["id"])
        assert erased == len(log) - len(left) >= 2
        assert len(left) >= 1  # the visitor's conversation is nobody's to forget
        assert hooks.run(mentions) == 0
    finally:
        hooks.unsubscribe(hook["id"])


def test_the_clean_up_drops_old_delivered_and_dead_deliveries(hooks: HooksEnv) -> None:
    hook = hooks.subscribe("http://127.0.0.1:9/never", ["task.created"])
    hooks.client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"active": False}, headers=hooks.as_("admin")
    )
    now = utcnow()
    ages = {"delivered": 31, "failed": 40, "pending": 90}

    async def fill(session: Any) -> None:
        for status, days in ages.items():
            for age in (days, 1):
                session.add(
                    WebhookDelivery(
                        subscription_id=hook["id"],
                        message_id=f"msg_retention_{status}_{age}_{hook['id']}",
                        event="task.created",
                        body="{}",
                        status=status,
                        attempts=1,
                        created_at=now - timedelta(days=age),
                    )
                )
        await session.commit()

    async def clean(session: Any) -> int:
        return (await clean_database(session, CleanupPolicy(webhook_days=30), now=now)).webhooks

    try:
        hooks.run(fill)
        assert hooks.run(clean) == 2
        left = sorted((d["status"], d["created_at"][:10]) for d in hooks.deliveries(hook["id"]))
        assert [status for status, _ in left] == ["delivered", "failed", "pending", "pending"]
    finally:
        hooks.unsubscribe(hook["id"])
