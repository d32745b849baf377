"""Knowledge-base articles and hints edited in the console (issue 16): the gate (``kb
check`` and the evaluation sets before/after, a drop refused unless confirmed), every
version kept, rollback, the running bot answering from the live version at once, audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from marketdesk.services.content.articles import restore_overlay
from marketdesk.settings import REPO_ROOT
from marketdesk.store.models import AuditEntry
from tests.content.conftest import KINDS, ContentEnv
from tests.errors import assert_error

KEY = "certificate_activation"
SEED = (REPO_ROOT / "content" / "kb" / f"{KEY}.md").read_text(encoding="utf-8")
BROKEN = """---
slug: certificate_activation
title: Как активировать подарочный сертификат
audience: customer
---
Обратитесь в поддержку.
"""
BETTER = SEED.rstrip() + "\n\nКод вводится один раз: повторно он не принимается.\n"
HINT = """---
slug: coupons
title: Купон не применяется в корзине
audience: operator
section: Купоны
situation: Купон не срабатывает
---
Уточните номер купона и проверьте срок его действия.
"""

READ = {"supervisor": 200, "admin": 200, "operator": 403, "backoffice": 403}
READ.update(customer=403, visitor=403, anonymous=401)


def _put(env: ContentEnv, text: str, who: str = "admin", key: str = KEY, **extra: Any) -> Any:
    return env.client.put(
        f"/api/v1/content/articles/{key}", json={"text": text, **extra}, headers=env.headers(who)
    )


def _ask(env: ContentEnv, text: str) -> dict[str, Any]:
    return dict(env.client.post("/api/v1/bot/ask", json={"text": text}).json())


@pytest.mark.parametrize("who", KINDS)
def test_who_may_read_check_edit_and_roll_back(env: ContentEnv, who: str) -> None:
    status = READ[who]
    headers = env.headers(who)
    base = f"/api/v1/content/articles/{KEY}"
    responses = [
        env.client.get("/api/v1/content/articles", headers=headers),
        env.client.get(base, headers=headers),
        env.client.post(base + "/check", json={"text": SEED}, headers=headers),
        _put(env, SEED, who, note="без изменений"),
        env.client.post(base + "/rollback", json={"version": 0}, headers=headers),
    ]
    assert [r.status_code for r in responses] == [status] * 5, [r.text for r in responses]


def test_list_and_detail(env: ContentEnv) -> None:
    listed = env.client.get("/api/v1/content/articles", headers=env.headers("supervisor"))
    keys = {a["key"]: a for a in listed.json()["articles"]}
    assert keys[KEY]["audience"] == "customer"
    assert any(a["audience"] == "operator" and a["section"] for a in keys.values())
    assert_error(
        env.client.get("/api/v1/content/articles/no_such", headers=env.headers("admin")),
        404,
        "article_not_found",
    )
    assert_error(
        env.client.get("/api/v1/content/articles/Bad.Key", headers=env.headers("admin")),
        422,
        "invalid_content_key",
    )


def test_a_drop_is_refused_with_the_figures_unless_confirmed(env: ContentEnv) -> None:
    check = env.client.post(
        f"/api/v1/content/articles/{KEY}/check", json={"text": BROKEN}, headers=env.headers("admin")
    )
    assert check.status_code == 200 and check.json()["drops"], check.text
    before = _detail(env)["version"]
    refused = assert_error(_put(env, BROKEN), 409, "evaluation_dropped")
    assert refused["before"] and refused["after"]
    old, new = refused["before"][0], refused["after"][0]
    assert old["name"] == new["name"] and new["topic_correct"] < old["topic_correct"]
    assert _detail(env)["version"] == before  # nothing stored
    assert "Обратитесь в поддержку" not in _ask(env, "как активировать сертификат")["answer"]
    # confirmed: it goes live at once, and the bot answers from it
    saved = _put(env, BROKEN, confirm=True, note="проверка отказа")
    assert saved.status_code == 200, saved.text
    assert saved.json()["comparison"]["drops"] and saved.json()["version"] == before + 1
    detail = _detail(env)
    assert detail["text"] == BROKEN and detail["versions"][0]["confirmed_drop"] is True
    assert detail["versions"][0]["author"] == "admin"
    # rolled back to the seed file: a new version, the old answer again
    back = env.client.post(
        f"/api/v1/content/articles/{KEY}/rollback",
        json={"version": 0},
        headers=env.headers("admin"),
    )
    assert back.status_code == 200, back.text
    assert back.json()["version"] == before + 2 and not back.json()["comparison"]["drops"]
    assert _detail(env)["text"] == SEED
    assert "Обратитесь в поддержку" not in _ask(env, "как активировать сертификат")["answer"]
    assert [v["version"] for v in _detail(env)["versions"]][:2] == [before + 2, before + 1]


def _detail(env: ContentEnv, key: str = KEY) -> dict[str, Any]:
    response = env.client.get(f"/api/v1/content/articles/{key}", headers=env.headers("admin"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_version_is_kept_and_any_can_come_back(env: ContentEnv) -> None:
    first = _put(env, BETTER, "supervisor", note="уточнение про повторный ввод")
    assert first.status_code == 200, first.text
    version = first.json()["version"]
    assert "повторно он не принимается" in _ask(env, "как активировать сертификат")["answer"]
    second = _put(env, SEED, "admin")
    assert second.json()["version"] == version + 1
    back = env.client.post(
        f"/api/v1/content/articles/{KEY}/rollback",
        json={"version": version},
        headers=env.headers("supervisor"),
    )
    assert back.status_code == 200, back.text
    assert _detail(env)["text"] == BETTER
    assert "повторно он не принимается" in _ask(env, "как активировать сертификат")["answer"]
    assert_error(
        env.client.post(
            f"/api/v1/content/articles/{KEY}/rollback",
            json={"version": 999},
            headers=env.headers("admin"),
        ),
        404,
        "content_version_not_found",
    )
    _put(env, SEED)


def test_kb_check_refuses_a_broken_article(env: ContentEnv) -> None:
    for text in ("без front matter", SEED.replace(f"slug: {KEY}", "slug: no_such_topic")):
        assert_error(_put(env, text), 422, "article_invalid")
    assert _detail(env)["text"] == SEED


def test_a_new_hint_joins_the_tree(env: ContentEnv) -> None:
    saved = _put(env, HINT, key="hint-coupon-cart", note="новая подсказка")
    assert saved.status_code == 200, saved.text
    tree = env.client.get("/api/v1/hints/tree", headers=env.headers("operator")).json()
    section = next(s for s in tree["sections"] if s["title"] == "Купоны")
    situation = next(s for s in section["situations"] if s["title"] == "Купон не срабатывает")
    assert [h["id"] for h in situation["hints"]] == ["hint-coupon-cart"]


def test_edits_are_audited_and_restored_from_the_database(env: ContentEnv, tmp_path) -> None:
    assert _put(env, BETTER, "supervisor").status_code == 200

    async def work(session: Any) -> tuple[list[str], int]:
        rows = await session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.entity_kind == "article", AuditEntry.entity_id == KEY
            )
        )
        return list(rows), await restore_overlay(session, tmp_path / "edits")

    actions, restored = env.run(work)
    assert "content.article_saved" in actions and "content.article_rolled_back" in actions
    assert restored >= 2
    assert (tmp_path / "edits" / f"{KEY}.md").read_text(encoding="utf-8") == BETTER
    _put(env, SEED)
