"""Answer templates edited in the console (issue 16): the texts of task results and of the
notifications; only the seed's placeholders; every version kept, rollback; the edited text
is what a task's result and a notification say."""

from __future__ import annotations

from typing import Any

import pytest

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.domain.task_outcomes import TaskOutcome
from marketdesk.services.content.templates import outcome_text
from marketdesk.services.notifications.templates import render
from tests.content.conftest import KINDS, ContentEnv
from tests.errors import assert_error

OUTCOME = "outcome.fraud.lifted"
NOTIFY = "notify.orders.order_status_changed.sms"
STATUS = {"supervisor": 200, "admin": 200, "operator": 403, "backoffice": 403}
STATUS.update(customer=403, visitor=403, anonymous=401)


def _put(env: ContentEnv, key: str, text: str, who: str = "admin") -> Any:
    return env.client.put(
        f"/api/v1/content/templates/{key}", json={"text": text}, headers=env.headers(who)
    )


def _get(env: ContentEnv, key: str) -> dict[str, Any]:
    response = env.client.get(f"/api/v1/content/templates/{key}", headers=env.headers("admin"))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("who", KINDS)
def test_who_may_read_and_edit_templates(env: ContentEnv, who: str) -> None:
    seed = _get(env, OUTCOME)["text"]
    headers = env.headers(who)
    responses = [
        env.client.get("/api/v1/content/templates", headers=headers),
        env.client.get(f"/api/v1/content/templates/{OUTCOME}", headers=headers),
        _put(env, OUTCOME, seed, who),
        env.client.post(
            f"/api/v1/content/templates/{OUTCOME}/rollback", json={"version": 0}, headers=headers
        ),
    ]
    assert [r.status_code for r in responses] == [STATUS[who]] * 4, [r.text for r in responses]


def test_the_catalogue_lists_task_results_and_notifications(env: ContentEnv) -> None:
    listed = env.client.get("/api/v1/content/templates", headers=env.headers("supervisor"))
    keys = {t["key"]: t for t in listed.json()["templates"]}
    assert keys[OUTCOME]["fields"] == ["number", "queue"]
    assert "order" in keys[NOTIFY]["fields"]
    assert_error(
        env.client.get("/api/v1/content/templates/notify.no.such", headers=env.headers("admin")),
        404,
        "answer_template_not_found",
    )


def test_an_edited_task_result_is_what_the_customer_gets(env: ContentEnv) -> None:
    text = "Заявка {number}: ограничение на купоны снято, можно пользоваться купонами."
    saved = _put(env, OUTCOME, text)
    assert saved.status_code == 200, saved.text

    async def work(session: Any) -> tuple[str | None, str | None]:
        lifted = await outcome_text(session, FRAUD_QUEUE, "Фрод", TaskOutcome.LIFTED, "T-1")
        kept = await outcome_text(session, FRAUD_QUEUE, "Фрод", TaskOutcome.KEPT, "T-1")
        return lifted, kept

    lifted, kept = env.run(work)
    assert lifted == "Заявка T-1: ограничение на купоны снято, можно пользоваться купонами."
    assert kept is None  # not edited: the seed's text
    for bad in ("Заявка {number} на {amount}", "Заявка {0}", "  "):
        response = _put(env, OUTCOME, bad)
        assert response.status_code == 422, response.text
    back = env.client.post(
        f"/api/v1/content/templates/{OUTCOME}/rollback",
        json={"version": 0},
        headers=env.headers("admin"),
    )
    assert back.status_code == 200 and back.json()["version"] == saved.json()["version"] + 1
    assert "{number}" in _get(env, OUTCOME)["text"] and _get(env, OUTCOME)["text"] != text


def test_an_edited_notification_renders_from_the_data_dir(env: ContentEnv) -> None:
    text = "Заказ $order теперь в статусе «$status_title». Подробности в личном кабинете."
    assert _put(env, NOTIFY, text, "supervisor").status_code == 200
    settings = env.settings
    rendered = render(
        settings.notify_templates_dir,
        "orders",
        "order_status_changed",
        "sms",
        {"order": "123", "status_title": "Доставлен", "text": "", "status": "delivered"},
        settings.notify_templates_overlay(),
    )
    assert rendered.body.startswith("Заказ 123 теперь в статусе «Доставлен».")
    assert_error(_put(env, NOTIFY, "Заказ $order на сумму $amount"), 422, "answer_template_invalid")
    detail = _get(env, NOTIFY)
    assert detail["versions"][0]["author"] == "supervisor"
    # every version kept: back to the seed
    first = detail["versions"][-1]["version"]
    env.client.post(
        f"/api/v1/content/templates/{NOTIFY}/rollback",
        json={"version": 0},
        headers=env.headers("admin"),
    )
    assert _get(env, NOTIFY)["version"] > first
    seed = (settings.notify_templates_dir / "orders" / "order_status_changed.sms.txt").read_text(
        encoding="utf-8"
    )
    assert _get(env, NOTIFY)["text"] == seed
