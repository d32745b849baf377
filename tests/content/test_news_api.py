"""Promotions news written by supervisors and admins (issue 16): POST /api/v1/news, PATCH
and PUT /api/v1/news/{id}; the lines an item is for; the live ``news_published`` frame on
the operator sockets; every edit audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.store.models import AuditEntry
from tests.content.conftest import KINDS, ContentEnv
from tests.errors import assert_error

ITEM = {
    "kind": "promotion",
    "title": "Скидка 20 процентов на чайники",
    "body": "Условия: скидка действует на чайники из подборки, не суммируется с купонами.",
    "category": "Бытовая техника",
    "starts_on": "2026-12-10",
    "ends_on": "2026-12-20",
    "urgent": True,
    "mandatory": False,
}

WRITE_STATUS = {
    "operator": 403,
    "backoffice": 403,
    "supervisor": 201,
    "admin": 201,
    "customer": 403,
    "visitor": 403,
    "anonymous": 401,
}


def _create(env: ContentEnv, who: str = "admin", **fields: Any) -> dict[str, Any]:
    response = env.client.post("/api/v1/news", json={**ITEM, **fields}, headers=env.headers(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _list(env: ContentEnv, who: str, **params: Any) -> dict[str, Any]:
    response = env.client.get("/api/v1/news", params=params, headers=env.headers(who))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("who", KINDS)
def test_who_may_create_news(env: ContentEnv, who: str) -> None:
    title = f"Новость для проверки доступа ({who})"
    response = env.client.post(
        "/api/v1/news", json={**ITEM, "title": title}, headers=env.headers(who)
    )
    assert response.status_code == WRITE_STATUS[who], response.text
    found = _list(env, "supervisor", q=title)["total"]
    assert found == (1 if WRITE_STATUS[who] == 201 else 0)


@pytest.mark.parametrize("who", KINDS)
def test_who_may_edit_news(env: ContentEnv, who: str) -> None:
    news_id = _create(env, title=f"Правка новости ({who})")["id"]
    patch = env.client.patch(
        f"/api/v1/news/{news_id}", json={"title": f"Исправлено ({who})"}, headers=env.headers(who)
    )
    put = env.client.put(
        f"/api/v1/news/{news_id}",
        json={**ITEM, "title": f"Заменено ({who})"},
        headers=env.headers(who),
    )
    expected = 200 if WRITE_STATUS[who] == 201 else WRITE_STATUS[who]
    assert (patch.status_code, put.status_code) == (expected, expected), (patch.text, put.text)
    if expected == 200:
        assert put.json()["title"] == f"Заменено ({who})"


def test_created_item_reads_as_the_list_shows_it(env: ContentEnv) -> None:
    saved = _create(env, title="Чайники по акции", lines=["general"])
    assert saved["kind_title"] == "Акция" and saved["lines"] == ["general"]
    item = _list(env, "operator", q="Чайники по акции")["items"][0]
    assert item["id"] == saved["id"]
    assert item["body"] == ITEM["body"]
    assert (item["starts_on"], item["ends_on"]) == ("2026-12-10", "2026-12-20")
    assert item["urgent"] is True and item["mandatory"] is False and item["read"] is False
    assert item["edited_at"] is None
    # edited: only the fields given change, and the edit time shows
    response = env.client.patch(
        f"/api/v1/news/{saved['id']}",
        json={"mandatory": True, "ends_on": None},
        headers=env.headers("supervisor"),
    )
    assert response.status_code == 200, response.text
    item = _list(env, "operator", q="Чайники по акции")["items"][0]
    assert item["mandatory"] is True and item["ends_on"] is None
    assert item["title"] == "Чайники по акции" and item["edited_at"] is not None


def test_an_item_for_a_line_is_seen_by_its_operators_only(env: ContentEnv) -> None:
    _create(env, title="Только для продавцов", lines=["seller"])
    assert _list(env, "operator", q="Только для продавцов")["total"] == 0  # line general
    assert _list(env, "supervisor", q="Только для продавцов")["total"] == 1
    assert _list(env, "admin", q="Только для продавцов")["total"] == 1


def test_bad_input_is_refused_in_russian(env: ContentEnv) -> None:
    post = env.client.post
    headers = env.headers("admin")
    assert_error(
        post("/api/v1/news", json={**ITEM, "lines": ["nowhere"]}, headers=headers),
        422,
        "invalid_news_lines",
    )
    assert_error(
        post("/api/v1/news", json={**ITEM, "starts_on": "2026-12-21"}, headers=headers),
        422,
        "invalid_date_range",
    )
    for bad in ({"title": ""}, {"kind": "rumour"}, {"extra": 1}, {"category": "x" * 121}):
        assert_error(
            post("/api/v1/news", json={**ITEM, **bad}, headers=headers), 422, "validation_error"
        )
    assert_error(
        env.client.patch("/api/v1/news/999999999", json={"urgent": True}, headers=headers),
        404,
        "news_not_found",
    )


def test_publishing_a_mandatory_item_reaches_a_logged_in_operator_live(env: ContentEnv) -> None:
    with env.client.websocket_connect("/ws/operator") as ws:
        ws.send_json({"type": "auth", "token": env.tokens["operator"]})
        assert ws.receive_json()["type"] == "ready"
        saved = _create(env, title="Обязательно к прочтению", mandatory=True)
        assert saved["notified"] >= 1
        frame = ws.receive_json()
        while frame["type"] != "news_published":
            frame = ws.receive_json()
    assert frame["news"]["id"] == saved["id"]
    assert frame["news"]["mandatory"] is True and frame["event"] == "created"
    mandatory = _list(env, "operator", filter="mandatory")["items"]
    assert saved["id"] in [i["id"] for i in mandatory if not i["read"]]


def test_every_edit_is_audited_with_who(env: ContentEnv) -> None:
    saved = _create(env, "supervisor", title="Аудит новости")
    env.client.patch(
        f"/api/v1/news/{saved['id']}", json={"urgent": False}, headers=env.headers("admin")
    )

    async def work(session: Any) -> list[tuple[str, str | None]]:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.actor_id)
            .where(AuditEntry.entity_kind == "news", AuditEntry.entity_id == str(saved["id"]))
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]

    entries = env.run(work)
    assert [a for a, _ in entries] == ["news.created", "news.edited"]
    assert entries[0][1] != entries[1][1]  # the supervisor, then the admin
